import { resolveUser } from '../../accounts/accounts-service.js';
import { createApiKey, listApiKeys, publicApiKey, revokeApiKey } from '../../apikeys/api-keys-service.js';
import { CLI_ACTOR } from '../../audit/actor.js';
import { CLI_CALLER } from '../../rbac/caller.js';
import { UsageError, type Command } from '../command.js';
import { formatTable } from '../format-table.js';

export const apikeyCreate: Command = {
  name: 'apikey create',
  summary:
    "create a personal API key for a user (printed once; permissions must be the user's; expires after api_keys.default_lifetime_days unless --expires-days)",
  usage: '--user EMAIL --name N [--permissions a,b] [--expires-days D]',
  options: { user: { type: 'string' }, name: { type: 'string' }, permissions: { type: 'string' }, 'expires-days': { type: 'string' } },
  async run(ctx, options) {
    if (typeof options.user !== 'string') throw new UsageError('--user is required');
    if (typeof options.name !== 'string') throw new UsageError('--name is required');
    const days = options['expires-days'];
    const maxDays = ctx.config.auth.api_keys.max_lifetime_days;
    if (days !== undefined && !(Number.isInteger(Number(days)) && Number(days) >= 1 && Number(days) <= maxDays)) {
      throw new UsageError(`--expires-days must be a whole number from 1 to ${maxDays} (api_keys.max_lifetime_days; got ${String(days)})`);
    }
    const accounts = await ctx.accounts();
    const owner = await resolveUser(accounts, options.user);
    const permissions =
      typeof options.permissions === 'string'
        ? options.permissions
            .split(',')
            .map((p) => p.trim())
            .filter(Boolean)
        : undefined;
    const { key, row } = await createApiKey(accounts, CLI_CALLER, owner, {
      name: options.name,
      permissions,
      expiresInDays: days === undefined ? undefined : Number(days),
    });
    ctx.print(
      [
        `api key:     ${key}`,
        `id:          ${row.id}`,
        `permissions: ${row.permissions.join(',') || '(none)'}`,
        '(the key is shown only now; store it safely)',
      ],
      { ...publicApiKey(row), key, user: owner.email },
    );
  },
};

export const apikeyList: Command = {
  name: 'apikey list',
  summary: 'list API keys (prefix, owner, permissions, last use, expiry), never the keys',
  usage: '[--user EMAIL]',
  options: { user: { type: 'string' } },
  async run(ctx, options) {
    const accounts = await ctx.accounts();
    const owner = typeof options.user === 'string' ? await resolveUser(accounts, options.user) : undefined;
    const keys = await listApiKeys(accounts.db, owner?.id);
    const shown = keys.map((k) => ({ ...publicApiKey(k), user_id: k.user_id }));
    ctx.print(
      shown.length
        ? formatTable(
            ['ID', 'PREFIX', 'NAME', 'PERMISSIONS', 'STATUS', 'LAST USED', 'EXPIRES'],
            shown.map((k) => [k.id, k.prefix, k.name, k.permissions.join(','), k.is_active ? 'active' : 'revoked', k.last_used_at, k.expires_at]),
          )
        : 'no API keys',
      { api_keys: shown },
    );
  },
};

export const apikeyRevoke: Command = {
  name: 'apikey revoke',
  summary: 'revoke an API key; exchanging it fails from now on',
  usage: 'ID',
  positionals: { min: 1, max: 1, names: 'ID' },
  async run(ctx, _options, [id]) {
    const { db } = await ctx.accounts();
    const row = await revokeApiKey(db, id!, CLI_ACTOR);
    ctx.print(`revoked API key ${row.id} (ack_${row.prefix})`, publicApiKey(row));
  },
};
