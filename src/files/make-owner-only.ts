import { chmodSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { isOpenToOthers, octalMode, OPEN_TO_OTHERS, ownerOnlyFix } from './owner-only.js';
import { walkTree } from './walk-tree.js';

/**
 * Removes group and other permissions from `root` and everything below it (a missing root is fine:
 * it will be created owner-only). Refuses with one line naming the path and the fix when a loose entry
 * cannot be changed, typically because another user owns it.
 */
export function makeOwnerOnly(variable: string, root: string): void {
  walkTree(root, (file, stats) => {
    if (!isOpenToOthers(stats)) return;
    try {
      chmodSync(file, stats.mode & 0o7777 & ~OPEN_TO_OTHERS);
    } catch (error) {
      const owner = stats.uid === process.getuid?.() ? '' : `, it belongs to uid ${stats.uid}`;
      throw new ConfigError(
        `${variable}: ${file} is open to other users (mode ${octalMode(stats)}) and cannot be made owner-only (${(error as NodeJS.ErrnoException).code}${owner}); as its owner or root run: chown -R ${process.getuid?.() ?? '$(id -u)'} ${root} && ${ownerOnlyFix(root)}`,
      );
    }
  });
}
