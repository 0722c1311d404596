import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

export interface LockOwner {
  pid: number;
  role: 'server' | 'cli';
  startedAt: string;
}

export type LockAttempt = { acquired: true; release: () => void } | { acquired: false; owner: LockOwner };

/**
 * Lock files this process holds. A lock file with our own pid is ours only if it is in here (a server run
 * inside another program, as the tests do, and a CLI-style open beside it in the same process); otherwise
 * a process that died had our pid, and the lock is stale.
 */
const heldHere = new Set<string>();

/**
 * One process at a time may open an embedded database directory: two PGlite instances on one directory
 * silently lose writes. The lock is a file created with O_EXCL holding the owner's pid; a lock whose
 * process is gone (crash, kill -9) is stale and taken over.
 */
export function tryLockDataDir(dataDir: string, role: LockOwner['role']): LockAttempt {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, 'embedded.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      const owner: LockOwner = { pid: process.pid, role, startedAt: new Date().toISOString() };
      writeSync(fd, JSON.stringify(owner));
      closeSync(fd);
      heldHere.add(file);
      let released = false;
      return {
        acquired: true,
        release: () => {
          if (released) return;
          released = true;
          heldHere.delete(file);
          if (readOwner(file)?.pid === process.pid) rmSync(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = readOwner(file);
      if (owner && (owner.pid === process.pid ? heldHere.has(file) : isAlive(owner.pid))) return { acquired: false, owner };
      if (!owner && attempt === 0) {
        // The owner may be between creating the file and writing its pid.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
        continue;
      }
      rmSync(file, { force: true });
    }
  }
  throw new Error(`cannot lock ${file}`);
}

function readOwner(file: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
    return Number.isInteger(owner.pid) ? owner : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
