import type { ParseArgsConfig } from 'node:util';
import type { CliContext } from './cli-context.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface Command {
  /** Words after `auth-connect`, e.g. "user create". */
  name: string;
  summary: string;
  /** Argument synopsis shown in help, e.g. "--email E --role R (--password P | --password-stdin)". */
  usage?: string;
  options?: OptionSpec;
  /** How many positional arguments the command takes (default none). */
  positionals?: { min: number; max: number; names: string };
  run(ctx: CliContext, options: Record<string, string | boolean | string[] | undefined>, positionals: string[]): Promise<number | undefined>;
}

/** A mistake in how the command was typed: one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
