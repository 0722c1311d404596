import knexFactory, { type Knex } from 'knex';
import type pg from 'pg';
import { DatabaseUnavailableError } from '../errors.js';
import type { RuntimeSettings } from '../config/types.js';
import { isDatabaseUnavailable, redactDatabaseUrl } from './database-errors.js';
import { openEmbeddedDatabase } from './embedded-database.js';

export interface Database {
  knex: Knex;
  engine: 'postgres' | 'embedded';
  /** Where the data lives, without secrets: for logs and messages. */
  description: string;
  close(): Promise<void>;
}

export interface OpenOptions {
  role: 'server' | 'cli';
  /** Connections kept by this process (Postgres only; the embedded database serialises anyway). */
  poolSize?: number;
}

const CONNECT_TIMEOUT_MS = 5_000;
const STATEMENT_TIMEOUT_MS = 10_000;

/**
 * DATABASE_URL set: Postgres through node-postgres, with bounded connect and statement timeouts (knex
 * listens for 'error' on every connection and discards broken ones, so a database restart never crashes
 * the process). Unset: the embedded PGlite database in DATA_DIR, reached through the same pg driver.
 */
export async function openDatabase(runtime: RuntimeSettings, options: OpenOptions): Promise<Database> {
  if (runtime.databaseUrl) {
    const description = `Postgres at ${redactDatabaseUrl(runtime.databaseUrl)}`;
    const knex = createKnex({ connectionString: runtime.databaseUrl }, options.poolSize ?? 10);
    await verifyReachable(knex, description);
    return { knex, engine: 'postgres', description, close: () => knex.destroy() };
  }
  const embedded = await openEmbeddedDatabase(runtime.dataDir, options.role);
  const description = `embedded database in ${runtime.dataDir}`;
  // one connection: the embedded database's socket server runs each protocol message as it comes, so two
  // connections' extended-protocol messages (Parse, Bind, Execute of unnamed statements) interleave and one
  // query can receive another's result; PGlite runs one query at a time anyway, so nothing is lost
  const knex = createKnex(embedded.connection, 1);
  try {
    await verifyReachable(knex, description);
  } catch (error) {
    await knex.destroy();
    await embedded.close();
    throw error;
  }
  return {
    knex,
    engine: 'embedded',
    description,
    close: async () => {
      await knex.destroy();
      await embedded.close();
    },
  };
}

function createKnex(connection: pg.ClientConfig, poolSize: number): Knex {
  return knexFactory({
    client: 'pg',
    connection: {
      ...connection,
      application_name: 'auth-connect',
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      // sent as a startup parameter, never as a SET: nothing here is session state a transaction-pooling
      // PgBouncer could hand to another client (it refuses the parameter unless told to ignore it)
      statement_timeout: STATEMENT_TIMEOUT_MS,
      query_timeout: STATEMENT_TIMEOUT_MS + 2_000,
      keepAlive: true,
    } as Knex.PgConnectionConfig,
    pool: { min: 0, max: poolSize, idleTimeoutMillis: 30_000 },
    acquireConnectionTimeout: CONNECT_TIMEOUT_MS + 1_000,
    // knex would print connection errors with stacks to the console; they reach us as rejections instead
    log: { warn: () => {}, error: () => {}, deprecate: () => {}, debug: () => {} },
  });
}

async function verifyReachable(knex: Knex, description: string): Promise<void> {
  try {
    await knex.raw('select 1');
  } catch (error) {
    await knex.destroy().catch(() => {});
    throw new DatabaseUnavailableError(`cannot use the ${description}: ${explainConnectError(error)}`, { cause: error });
  }
}

function explainConnectError(error: unknown): string {
  const e = error as { code?: string; message?: string };
  switch (e.code) {
    case 'ECONNREFUSED':
      return 'connection refused; is Postgres running, and are host and port in DATABASE_URL right?';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found; check the host in DATABASE_URL';
    case '3D000':
      return `${e.message ?? 'database does not exist'}; create it (for example: createdb NAME) or fix DATABASE_URL`;
    case '28P01':
    case '28000':
      return `${e.message ?? 'authentication failed'}; check user and password in DATABASE_URL`;
    case '08P01':
      // PgBouncer refuses startup parameters it does not know, and we send statement_timeout as one
      if (/unsupported startup parameter: statement_timeout/.test(e.message ?? '')) {
        return `${e.message}; behind PgBouncer add ignore_startup_parameters = statement_timeout to pgbouncer.ini, and set the timeout on its server connections instead (see PgBouncer in the README)`;
      }
      return e.message ?? String(error);
    default:
      if (isDatabaseUnavailable(error)) return `${e.message ?? 'unreachable'} (no answer within ${CONNECT_TIMEOUT_MS / 1000} s)`;
      return e.message ?? String(error);
  }
}
