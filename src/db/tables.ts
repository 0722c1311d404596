import type { Knex } from 'knex';
import type { UserRow } from '../accounts/users-repository.js';
import type { ApiKeyRow } from '../apikeys/api-keys-repository.js';
import type { ClientRow } from '../clients/clients-repository.js';

// The row types of the tables the repositories query with knex's builder, so `db('users')…` answers UserRow
// without a cast. Inserts and updates take any subset of the columns (the database fills the rest and checks
// what it must); SQL written by hand (db.raw) names its result type where it runs.
type Table<Row> = Knex.CompositeTableType<Row, Partial<Writable<Row>>, Partial<Writable<Row>>>;
/**
 * A column may be written as its value or as an expression such as db.fn.now(); a json(b) column as JSON text,
 * because node-postgres would send a JavaScript array as a Postgres array.
 */
type Writable<Row> = { [Column in keyof Row]: Row[Column] | Knex.Raw | (Row[Column] extends object ? string : never) };

declare module 'knex/types/tables.js' {
  interface Tables {
    users: Table<UserRow>;
    clients: Table<ClientRow>;
    api_keys: Table<ApiKeyRow>;
  }
}
