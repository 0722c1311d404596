#!/usr/bin/env -S node --liftoff-only
// --liftoff-only: a CLI command lives a second or two; V8's optimising compiler for the embedded database's
// WebAssembly would only make the process wait about 2 s at exit for compilations nobody will use.
import '../runtime/node-check-cli.js';
import { parseArgs } from 'node:util';
import { describeFailure } from '../describe-failure.js';
import { isAuthConnectError } from '../errors.js';
import { packageVersion } from '../package-version.js';
import { CliContext } from './cli-context.js';
import { closest } from './closest.js';
import { UsageError, type Command } from './command.js';
import { commands } from './commands/index.js';

const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

async function main(argv: string[]): Promise<number> {
  // files the CLI creates (keys, the embedded database) are private, as the server's are
  process.umask(0o077);
  const json = argv.includes('--json');
  const create = argv.includes('--create');
  const words = argv.filter((a) => a !== '--json' && a !== '--create');
  if (words.length === 1 && words[0] === '--version') {
    process.stdout.write(json ? `${JSON.stringify({ version: packageVersion() })}\n` : `auth-connect ${packageVersion()}\n`);
    return 0;
  }
  const wantsHelp = words.includes('--help') || words.includes('-h') || words[0] === 'help';
  const rest = words.filter((a) => a !== '--help' && a !== '-h' && a !== 'help');

  const command = findCommand(rest);
  if (!command) {
    // a group alone ("auth-connect user") is an unfinished command: list what it can be, as bare auth-connect does
    const group = rest.length === 1 && isGroup(rest[0]!);
    if (rest.length === 0 || wantsHelp || group) {
      process.stdout.write(overview(rest[0]));
      return wantsHelp ? 0 : EXIT_USAGE;
    }
    throw new UsageError(unknownCommand(rest));
  }
  if (wantsHelp) {
    process.stdout.write(`${usageOf(command)}\n\n${command.summary}\n`);
    return 0;
  }

  const args = rest.slice(command.name.split(' ').length);
  const { values, positionals } = parse(command, args);
  const ctx = new CliContext({ json, create });
  try {
    return (await command.run(ctx, values, positionals)) ?? 0;
  } finally {
    await ctx.close();
  }
}

function findCommand(words: string[]): Command | undefined {
  const two = words.slice(0, 2).join(' ');
  return commands.find((c) => c.name === two) ?? commands.find((c) => c.name === words[0]);
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

function unknownCommand(words: string[]): string {
  const typed = words.slice(0, 2).join(' ');
  const names = commands.map((c) => c.name);
  const group = names.filter((n) => n.startsWith(`${words[0]} `));
  const suggestion = closest(typed, names) ?? closest(words[0]!, names);
  if (group.length && words.length > 1) {
    return `unknown command "${typed}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; ${words[0]} commands: ${group.map((n) => n.split(' ')[1]).join(', ')}`;
  }
  return `unknown command "${typed}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; run auth-connect --help`;
}

function isGroup(word: string): boolean {
  return commands.some((c) => c.name.startsWith(`${word} `));
}

function usageOf(command: Command): string {
  return `auth-connect ${command.name}${command.usage ? ` ${command.usage}` : ''} [--json]`;
}

function overview(group?: string): string {
  const inGroup = group !== undefined && isGroup(group);
  const shown = inGroup ? commands.filter((c) => c.name.startsWith(`${group} `)) : commands;
  const width = Math.max(...shown.map((c) => c.name.length));
  return [
    `usage: auth-connect ${inGroup ? `${group} ` : ''}<command> [options] [--json]`,
    '',
    ...shown.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    ...(inGroup
      ? [`auth-connect ${group} <command> --help shows its options.`]
      : [
          'Every command reads the same environment as the server (DATABASE_URL, DATA_DIR, CONFIG_DIR, KEYS_DIR, ...)',
          'and says which database it used. Only init and migrate create a missing embedded database; other',
          'commands refuse unless given --create.',
          'auth-connect <command> --help shows its options; auth-connect --version prints the version.',
        ]),
    '',
  ].join('\n');
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const usage = error instanceof UsageError;
    const message = describeFailure(error);
    if (process.argv.includes('--json')) {
      const code = usage ? 'USAGE' : isAuthConnectError(error) ? error.code : 'FAILED';
      process.stdout.write(`${JSON.stringify({ error: code, message })}\n`);
    }
    process.stderr.write(`auth-connect: ${message}\n`);
    process.exit(usage ? EXIT_USAGE : EXIT_FAILURE);
  },
);
