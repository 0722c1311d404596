import { lstatSync, readdirSync, type Stats } from 'node:fs';
import path from 'node:path';

/**
 * Visits `root` and everything below it, without following symbolic links (a link could lead the
 * permission pass out of the directory). Entries that disappear during the walk are skipped: a running
 * database renames and removes files.
 */
export function walkTree(root: string, visit: (file: string, stats: Stats) => void): void {
  const pending = [root];
  while (pending.length) {
    const file = pending.pop()!;
    let stats: Stats;
    try {
      stats = lstatSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    if (stats.isSymbolicLink()) continue;
    visit(file, stats);
    if (!stats.isDirectory()) continue;
    let names: string[];
    try {
      names = readdirSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    for (const name of names) pending.push(path.join(file, name));
  }
}
