import { publicUser, resolveUser } from '../../accounts/accounts-service.js';
import { updateUserAs } from '../../accounts/user-administration.js';
import { CLI_CALLER } from '../../rbac/caller.js';
import { UsageError, type Command } from '../command.js';
import { userReference as reference, userTarget as target } from '../user-reference.js';

export const userSetRole: Command = {
  name: 'user set-role',
  summary: "change a user's role (shows in their next token)",
  usage: '(--email E | --id ID) --role R',
  options: { ...target, role: { type: 'string' } },
  async run(ctx, options) {
    if (typeof options.role !== 'string') throw new UsageError('--role is required');
    const accounts = await ctx.accounts();
    const before = await resolveUser(accounts, reference(options));
    const user = await updateUserAs(accounts, CLI_CALLER, before.id, { role: options.role }, { via: 'cli' });
    ctx.print(`${user.email} now has role ${user.role}`, publicUser(user));
  },
};

function activation(active: boolean): Command {
  return {
    name: active ? 'user enable' : 'user disable',
    summary: active ? 'let a disabled user log in again' : 'stop a user from logging in; their sessions end and their refresh tokens stop working',
    usage: '(--email E | --id ID)',
    options: target,
    async run(ctx, options) {
      const accounts = await ctx.accounts();
      const user = await updateUserAs(accounts, CLI_CALLER, (await resolveUser(accounts, reference(options))).id, { is_active: active }, { via: 'cli' });
      ctx.print(`${user.email} is ${active ? 'enabled' : 'disabled'}`, publicUser(user));
    },
  };
}

export const userDisable = activation(false);
export const userEnable = activation(true);
