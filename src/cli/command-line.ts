import { parseArgs } from 'node:util';
import { describeFailure } from '../describe-failure.js';
import { isAuthConnectError } from '../errors.js';
import { packageVersion } from '../package-version.js';
import { CliContext } from './cli-context.js';
import type { CliIo } from './cli-io.js';
import { closest } from './closest.js';
import { UsageError, type Command } from './command.js';
import { findCommand, isGroup, overview, unknownCommand, usageOf } from './usage-text.js';

const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

/**
 * Runs one `auth-connect …` command line and answers its exit code; a failure is printed as one line on
 * stderr (and as `{"error", "message"}` on stdout with --json), never thrown. The bin (main.ts) passes the
 * process's streams and environment; tests call it in-process with their own.
 */
export async function runCommandLine(argv: string[], io: CliIo): Promise<number> {
  try {
    return await run(argv, io);
  } catch (error) {
    const usage = error instanceof UsageError;
    const message = describeFailure(error);
    if (argv.includes('--json')) {
      const code = usage ? 'USAGE' : isAuthConnectError(error) ? error.code : 'FAILED';
      io.stdout.write(`${JSON.stringify({ error: code, message })}\n`);
    }
    io.stderr.write(`auth-connect: ${message}\n`);
    return usage ? EXIT_USAGE : EXIT_FAILURE;
  }
}

async function run(argv: string[], io: CliIo): Promise<number> {
  // files the CLI creates (keys, the embedded database) are private, as the server's are; the umask is the
  // process's, so an in-process caller gets it too, as a server started in-process does (secure-private-directories.ts)
  process.umask(0o077);
  const json = argv.includes('--json');
  const create = argv.includes('--create');
  const words = argv.filter((a) => a !== '--json' && a !== '--create');
  if (words.length === 1 && words[0] === '--version') {
    io.stdout.write(json ? `${JSON.stringify({ version: packageVersion() })}\n` : `auth-connect ${packageVersion()}\n`);
    return 0;
  }
  const wantsHelp = words.includes('--help') || words.includes('-h') || words[0] === 'help';
  const rest = words.filter((a) => a !== '--help' && a !== '-h' && a !== 'help');

  const command = findCommand(rest);
  if (!command) {
    // a group alone ("auth-connect user") is an unfinished command: list what it can be, as bare auth-connect does
    const group = rest.length === 1 && isGroup(rest[0]!);
    if (rest.length === 0 || wantsHelp || group) {
      io.stdout.write(overview(rest[0]));
      return wantsHelp ? 0 : EXIT_USAGE;
    }
    throw new UsageError(unknownCommand(rest));
  }
  if (wantsHelp) {
    io.stdout.write(`${usageOf(command)}\n\n${command.summary}\n`);
    return 0;
  }

  const args = rest.slice(command.name.split(' ').length);
  const { values, positionals } = parse(command, args);
  const ctx = new CliContext({ json, create }, io);
  try {
    return (await command.run(ctx, values, positionals)) ?? 0;
  } finally {
    await ctx.close();
  }
}

function parse(command: Command, args: string[]) {
  try {
    const { values, positionals } = parseArgs({ args, options: command.options ?? {}, strict: true, allowPositionals: true });
    const { min, max, names } = command.positionals ?? { min: 0, max: 0, names: '' };
    if (positionals.length < min) throw new UsageError(`missing ${names}; usage: ${usageOf(command)}`);
    if (positionals.length > max) throw new UsageError(`unexpected argument "${positionals[max]}"; usage: ${usageOf(command)}`);
    return { values: values as Record<string, string | boolean | string[] | undefined>, positionals };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(explainParseError(command, error as NodeJS.ErrnoException));
  }
}

function explainParseError(command: Command, error: NodeJS.ErrnoException): string {
  const flags = Object.keys(command.options ?? {}).map((o) => `--${o}`);
  const option = /'(-{1,2}[^' ]+)/.exec(error.message)?.[1];
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const suggestion = option && closest(option.split('=')[0]!, flags);
      return `unknown option ${option ?? ''}${suggestion ? ` (did you mean ${suggestion}?)` : ''}; usage: ${usageOf(command)}`;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return `${option ?? 'an option'} needs a value; usage: ${usageOf(command)}`;
    default:
      return `${error.message.split('\n')[0]}; usage: ${usageOf(command)}`;
  }
}
