import type { Knex } from 'knex';
import type { UserRow } from '../accounts/users-repository.js';

export interface ApiKeyRow {
  id: string;
  user_id: string;
  name: string;
  prefix: string;
  key_hash: string;
  permissions: string[];
  is_active: boolean;
  last_used_at: Date | null;
  expires_at: Date | null;
  created_at: Date;
  revoked_at: Date | null;
}

export async function insertApiKey(
  db: Knex,
  row: Pick<ApiKeyRow, 'user_id' | 'name' | 'prefix' | 'key_hash' | 'permissions' | 'expires_at'>,
): Promise<ApiKeyRow> {
  const [inserted] = await db('api_keys')
    .insert({ ...row, permissions: JSON.stringify(row.permissions) })
    .returning('*');
  return inserted!; // insert … returning answers the row or throws
}

/** The key with this prefix and its owner, in one round trip. */
export async function findApiKeyWithOwner(db: Knex, prefix: string): Promise<{ key: ApiKeyRow; owner: UserRow } | undefined> {
  const { rows } = await db.raw<{ rows: { key: ApiKeyRow; owner: UserRow }[] }>(
    `select to_jsonb(k) as key, to_jsonb(u) as owner from api_keys k join users u on u.id = k.user_id where k.prefix = ?`,
    [prefix],
  );
  const row = rows[0];
  if (!row) return undefined;
  const dates = <T extends object>(o: T, fields: string[]) => {
    for (const f of fields) if ((o as Record<string, unknown>)[f]) (o as Record<string, unknown>)[f] = new Date((o as Record<string, string>)[f]!);
    return o;
  };
  return {
    key: dates(row.key, ['last_used_at', 'expires_at', 'created_at', 'revoked_at']),
    owner: dates(row.owner, ['created_at', 'updated_at', 'locked_until', 'last_login_at', 'last_failed_login_at', 'password_changed_at']),
  };
}

export async function listApiKeyRows(db: Knex, userId?: string): Promise<ApiKeyRow[]> {
  return await db('api_keys')
    .modify((q) => (userId ? q.where({ user_id: userId }) : q))
    .orderBy('created_at', 'desc');
}

export async function revokeApiKeyRow(db: Knex, id: string, userId?: string): Promise<ApiKeyRow | undefined> {
  const [row] = await db('api_keys')
    .where({ id, is_active: true })
    .modify((q) => (userId ? q.where({ user_id: userId }) : q))
    .update({ is_active: false, revoked_at: db.fn.now() })
    .returning('*');
  return row;
}

/** Writes remembered last-use times in one statement. */
export async function writeLastUsed(db: Knex, uses: Map<string, Date>): Promise<void> {
  if (uses.size === 0) return;
  const ids = [...uses.keys()];
  const times = ids.map((id) => uses.get(id)!.toISOString());
  await db.raw(
    `update api_keys k set last_used_at = greatest(coalesce(k.last_used_at, u.t), u.t)
       from unnest(?::uuid[], ?::timestamptz[]) as u(id, t) where k.id = u.id`,
    [ids, times],
  );
}
