import { isOpenToOthers, octalMode } from './owner-only.js';
import { walkTree } from './walk-tree.js';

/** The first entry under `root` that other users may access, with its mode; undefined when all are owner-only. */
export function findOpenEntry(root: string): { file: string; mode: string } | undefined {
  let found: { file: string; mode: string } | undefined;
  try {
    walkTree(root, (file, stats) => {
      if (!found && isOpenToOthers(stats)) found = { file, mode: octalMode(stats) };
    });
  } catch (error) {
    return { file: root, mode: `unreadable: ${(error as NodeJS.ErrnoException).code ?? String(error)}` };
  }
  return found;
}
