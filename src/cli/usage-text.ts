import { closest } from './closest.js';
import type { Command } from './command.js';
import { commands } from './commands/index.js';

/** The command named by the first two words ("user create"), or by the first ("migrate"). */
export function findCommand(words: string[]): Command | undefined {
  const two = words.slice(0, 2).join(' ');
  return commands.find((c) => c.name === two) ?? commands.find((c) => c.name === words[0]);
}

export function isGroup(word: string): boolean {
  return commands.some((c) => c.name.startsWith(`${word} `));
}

export function usageOf(command: Command): string {
  return `auth-connect ${command.name}${command.usage ? ` ${command.usage}` : ''} [--json]`;
}

/** One line for a command that does not exist, with the nearest one and, in a group, the group's commands. */
export function unknownCommand(words: string[]): string {
  const typed = words.slice(0, 2).join(' ');
  const names = commands.map((c) => c.name);
  const group = names.filter((n) => n.startsWith(`${words[0]} `));
  const suggestion = closest(typed, names) ?? closest(words[0]!, names);
  if (group.length && words.length > 1) {
    return `unknown command "${typed}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; ${words[0]} commands: ${group.map((n) => n.split(' ')[1]).join(', ')}`;
  }
  return `unknown command "${typed}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; run auth-connect --help`;
}

/** The command list of bare `auth-connect` or `--help`, or of one group (`auth-connect user`). */
export function overview(group?: string): string {
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
