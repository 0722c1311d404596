import { publicUser } from '../../accounts/accounts-service.js';
import { createUserAs } from '../../accounts/user-administration.js';
import { CLI_CALLER } from '../../rbac/caller.js';
import type { CliIo } from '../cli-io.js';
import { UsageError, type Command } from '../command.js';
import { promptSecret, readStdinSecret } from '../read-secret.js';

export const userCreate: Command = {
  name: 'user create',
  summary: 'create a user (the password is asked for when not given)',
  usage: '--email E [--role R] [--password P | --password-stdin]',
  options: {
    email: { type: 'string' },
    role: { type: 'string' },
    password: { type: 'string' },
    'password-stdin': { type: 'boolean' },
  },
  async run(ctx, options) {
    if (typeof options.email !== 'string') throw new UsageError('--email is required');
    if (options.password !== undefined && options['password-stdin']) throw new UsageError('give either --password or --password-stdin, not both');
    const password =
      typeof options.password === 'string' ? options.password : options['password-stdin'] ? await readStdinSecret(ctx.io) : await askTwice(ctx.io);
    const accounts = await ctx.accounts();
    const user = await createUserAs(accounts, CLI_CALLER, { email: options.email, password, role: options.role as string | undefined }, { via: 'cli' });
    ctx.print(`created user ${user.email} (${user.role}), id ${user.id}`, publicUser(user));
  },
};

async function askTwice(io: CliIo): Promise<string> {
  const first = await promptSecret(io, 'Password: ');
  const second = await promptSecret(io, 'Repeat password: ');
  if (first !== second) throw new UsageError('the two passwords differ');
  return first;
}
