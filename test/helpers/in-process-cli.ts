import { Readable } from 'node:stream';
import { runCommandLine } from '../../src/cli/command-line.js';
import { embeddedDatabaseExists } from '../../src/db/embedded-database.js';
import { openDatabase, type Database } from '../../src/db/open-database.js';
import { packageRoot } from '../../src/paths.js';
import { childEnv, type RunResult } from './processes.js';
import { copyEmbeddedTemplate, type TestDatabase } from './test-database.js';

/**
 * Runs `auth-connect ...args` in this process through the bin's own entry (runCommandLine): the same parsing,
 * output, exit codes and one-line errors as runCli, in milliseconds instead of a new Node process (and, for
 * the embedded database, a new PGlite) per command line. stdin is a stream holding `stdin`, never a terminal.
 */
export async function cliInProcess(
  args: string[],
  env: Record<string, string | undefined> = {},
  stdin?: string,
  databases?: DatabaseOpener,
): Promise<RunResult> {
  // CONFIG_DIR defaults to ./config of the working directory: runCli starts the CLI in the package root
  if (process.cwd() !== packageRoot) throw new Error(`in-process CLI runs need the package root as working directory, not ${process.cwd()}`);
  let stdout = '';
  let stderr = '';
  const code = await runCommandLine(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    stdin: Readable.from(stdin ? [Buffer.from(stdin)] : []),
    env: childEnv(env),
    openDatabase: databases?.open,
  });
  return { code, stdout, stderr };
}

/** How the command lines of cliInProcess open their database (default: as the CLI does). */
export interface DatabaseOpener {
  open: typeof openDatabase;
}

/**
 * Opens as the CLI does, except that a missing embedded database is copied from the tests' template instead
 * of being created by PGlite's initdb (~3 s of CPU, 8-10 s on a loaded machine): for tests of when the CLI
 * may create a database, not of PGlite creating one (the test of init creates one for real).
 */
export const createdFromTemplate: DatabaseOpener = {
  open: async (runtime, options) => {
    if (!runtime.databaseUrl && !embeddedDatabaseExists(runtime.dataDir)) await copyEmbeddedTemplate(runtime.dataDir);
    return openDatabase(runtime, options);
  },
};

export interface SharedDatabase extends DatabaseOpener {
  /** Closes the kept database (before a spawned server takes the embedded one over); the next command opens it again. */
  close(): Promise<void>;
}

/**
 * Keeps `db` open for in-process command lines pointed at it (same DATA_DIR and DATABASE_URL): each gets it
 * with a close() that leaves it open, so a suite opens it once rather than once per command. A command
 * pointed anywhere else opens its own, as the CLI does. The CLI still checks that the embedded database
 * exists and migrates it as usual; only the opening is shared.
 */
export function sharedDatabase(db: TestDatabase): SharedDatabase {
  let kept: Promise<Database> | undefined;
  return {
    open: async (runtime, options) => {
      if (runtime.dataDir !== db.runtime.dataDir || runtime.databaseUrl !== db.runtime.databaseUrl) return openDatabase(runtime, options);
      kept ??= db.openBeside().catch((error: unknown) => {
        kept = undefined;
        throw error;
      });
      return { ...(await kept), close: async () => {} };
    },
    close: async () => {
      const closing = kept;
      kept = undefined;
      await (await closing)?.close();
    },
  };
}
