import type { Knex } from 'knex';

export interface ClientRow {
  client_id: string;
  client_name: string;
  metadata: Record<string, unknown>;
  secret_hash: string | null;
  first_party: boolean;
  permissions: string[];
  resource_server: boolean;
  created_at: Date;
  updated_at: Date;
}

export async function insertClient(db: Knex, row: Omit<ClientRow, 'created_at' | 'updated_at'>): Promise<ClientRow> {
  const [inserted] = await db('clients')
    .insert({ ...row, metadata: JSON.stringify(row.metadata), permissions: JSON.stringify(row.permissions) })
    .returning('*');
  return inserted!; // insert … returning answers the row or throws
}

export async function findClientRow(db: Knex, clientId: string): Promise<ClientRow | undefined> {
  const { rows } = await db.raw<{ rows: ClientRow[] }>('select * from clients where client_id = ?', [clientId]);
  return rows[0];
}

export async function listClientRows(db: Knex): Promise<ClientRow[]> {
  return await db('clients').orderBy('created_at').orderBy('client_id');
}

export async function deleteClientRow(db: Knex, clientId: string): Promise<boolean> {
  const deleted = await db('clients').where({ client_id: clientId }).delete().returning('client_id');
  return deleted.length > 0;
}

export async function updateClientRow(
  db: Knex,
  clientId: string,
  patch: Partial<Pick<ClientRow, 'client_name' | 'metadata' | 'secret_hash' | 'first_party' | 'permissions' | 'resource_server'>>,
): Promise<ClientRow | undefined> {
  const values: Record<string, unknown> = { ...patch, updated_at: db.fn.now() };
  if (patch.metadata) values.metadata = JSON.stringify(patch.metadata);
  if (patch.permissions) values.permissions = JSON.stringify(patch.permissions);
  const [row] = await db('clients').where({ client_id: clientId }).update(values).returning('*');
  return row;
}
