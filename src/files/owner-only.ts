import type { Stats } from 'node:fs';

/** Group and other permission bits: none of them may be set on anything under DATA_DIR or KEYS_DIR. */
export const OPEN_TO_OTHERS = 0o077;

export const isOpenToOthers = (stats: Stats): boolean => (stats.mode & OPEN_TO_OTHERS) !== 0;

export const octalMode = (stats: Stats): string => `0${(stats.mode & 0o777).toString(8)}`;

/** The one-line fix an operator can paste. */
export const ownerOnlyFix = (root: string): string => `chmod -R go-rwx ${root}`;
