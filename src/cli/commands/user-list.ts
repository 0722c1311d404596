import { listAccounts, publicUser } from '../../accounts/accounts-service.js';
import { UsageError, type Command } from '../command.js';
import { formatTable } from '../format-table.js';

export const userList: Command = {
  name: 'user list',
  summary: 'list users',
  usage: '[--search TEXT] [--role R] [--limit N] [--offset N]',
  options: { search: { type: 'string' }, role: { type: 'string' }, limit: { type: 'string' }, offset: { type: 'string' } },
  async run(ctx, options) {
    const limit = count(options.limit, '--limit', 100, 1, 10_000);
    const offset = count(options.offset, '--offset', 0, 0, Number.MAX_SAFE_INTEGER);
    const { users, total } = await listAccounts(await ctx.accounts(), {
      search: options.search as string | undefined,
      role: options.role as string | undefined,
      limit,
      offset,
    });
    const rows = users.map((u) => [u.email, u.role, u.is_active ? 'active' : 'disabled', u.created_at.toISOString(), u.id]);
    ctx.print(users.length ? [...formatTable(['EMAIL', 'ROLE', 'STATUS', 'CREATED', 'ID'], rows), `${users.length} of ${total} user(s)`] : 'no users', {
      total,
      users: users.map(publicUser),
    });
  },
};

function count(value: unknown, flag: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag} must be a whole number from ${min} to ${max} (got ${String(value)})`);
  return n;
}
