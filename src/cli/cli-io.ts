import type { openDatabase } from '../db/open-database.js';

/** Where a command writes: the process's stdout or stderr, or a buffer when a test runs the command in-process. */
export interface CliOutput {
  write(text: string): unknown;
}

/** Where `--password-stdin`, `client hash-secret` and the password prompt read: process.stdin, or a test's stream. */
export type CliInput = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?(raw: boolean): unknown };

/**
 * Everything a command line uses from its process, passed in rather than read from `process`, so that
 * `runCommandLine` behaves the same in the `auth-connect` bin and when a test calls it in-process.
 */
export interface CliIo {
  stdout: CliOutput;
  stderr: CliOutput;
  stdin: CliInput;
  /** The environment the configuration is read from (DATABASE_URL, DATA_DIR, CONFIG_DIR, ...). */
  env: NodeJS.ProcessEnv;
  /**
   * How a command opens its database; the default is a new connection (and, for the embedded database,
   * a new PGlite) per command line. A test running many command lines on one database passes one that
   * hands out a database it keeps open.
   */
  openDatabase?: typeof openDatabase;
}
