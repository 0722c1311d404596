import { configDirWith } from './config-dir.js';
import { createAccount } from '../../src/accounts/accounts-service.js';
import type { UserRow } from '../../src/accounts/users-repository.js';
import { createClient, type NewClient } from '../../src/clients/clients-service.js';
import { CLI_CALLER } from '../../src/rbac/caller.js';
import type { ClientRow } from '../../src/clients/clients-repository.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/types.js';
import type { Database } from '../../src/db/open-database.js';
import { freePort, PASSWORD } from './auth-server.js';
import { PgWireCounter } from './pg-wire-counter.js';
import { startServer, type RunningServer } from './processes.js';
import { queryCounterClient, queryCounterEnv, type QueryCount } from './query-counter.js';
import { createTestDatabase, type EngineName, type TestDatabase } from './test-database.js';

export interface Measured {
  /** node-postgres queries the server made (query-counter.ts). */
  queries: QueryCount;
  /** Query + Sync messages seen on the wire; Postgres only (the embedded database is reached over a unix socket inside the server). */
  wire?: number;
}

export interface CountedServer {
  issuer: string;
  server: RunningServer;
  testDb: TestDatabase;
  db: Database;
  config: Config;
  createUser(email: string, role?: string, password?: string): Promise<UserRow>;
  createClient(input: NewClient): Promise<{ client: ClientRow; secret?: string }>;
  /** Runs `action` against the server and returns the round trips it cost. */
  measure(action: () => Promise<unknown>): Promise<Measured>;
  stop(): Promise<void>;
}

/**
 * On the embedded database the client cache's probe notification never comes back (src/db/notification-listener.ts):
 * the counted server gives up waiting for it after this long, and callers wait this long after their first lookup.
 */
export const EMBEDDED_PROBE_SECONDS = 0.5;

/**
 * Like startAuthServer, with the server's database round trips counted: by the query-counter preload on
 * both engines, and on Postgres also on the wire, through a counting proxy that DATABASE_URL points at.
 */
export async function startCountedServer(engine: EngineName): Promise<CountedServer> {
  const testDb = await createTestDatabase(engine, { migrated: true });
  let wire: PgWireCounter | undefined;
  const env: Record<string, string> = { ...testDb.env };
  if (engine === 'postgres') {
    const direct = new URL(testDb.env.DATABASE_URL!);
    wire = new PgWireCounter({ host: direct.hostname, port: Number(direct.port || 5432) });
    const proxied = new URL(direct);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(await wire.start());
    env.DATABASE_URL = proxied.toString();
  }
  const port = await freePort();
  const counterPort = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const fullEnv = {
    ...env,
    PORT: String(port),
    ISSUER: issuer,
    JWT_SECRET: 'test-secret-that-is-long-enough-for-auth-connect',
    UNSAFE_TEST_PASSWORD_HASHING: 'true', // round trips are counted, not hashing time
    // the periodic read of the signing keys (every check_interval_seconds) is background work, not a grant's cost
    // so is the mail worker's look at the outbox (every mail.poll_seconds): nothing here queues mail
    // and so is the first cleanup of expired rows (5 s after start by default): an hour here; on the embedded
    // database the client cache's probe gives up after EMBEDDED_PROBE_SECONDS instead of 3 (on Postgres it
    // succeeds in milliseconds, and a longer wait only makes sure it does under load)
    CONFIG_DIR: configDirWith({
      auth_config: {
        signing_keys: { check_interval_seconds: 3600 },
        mail: { poll_seconds: 3600 },
        background_work: { first_cleanup_seconds: 3600, ...(engine === 'embedded' ? { notification_probe_seconds: EMBEDDED_PROBE_SECONDS } : {}) },
      },
    }),
    ...queryCounterEnv(counterPort),
  };
  const server = await startServer(fullEnv);
  const db = await testDb.openBeside();
  const config = loadConfig({ ...fullEnv });
  const counter = queryCounterClient(counterPort);
  return {
    issuer,
    server,
    testDb,
    db,
    config,
    createUser: (email, role = 'student', password = PASSWORD) => createAccount({ db: db.knex, config }, { email, password, role }),
    createClient: (input) => createClient({ db: db.knex, roles: config.roles }, CLI_CALLER, input, { via: 'cli' }),
    async measure(action) {
      wire?.reset();
      const queries = await counter.measure(action);
      return { queries, ...(wire ? { wire: wire.roundTrips } : {}) };
    },
    stop: async () => {
      await db.close();
      await server.stop();
      await wire?.stop();
      await testDb.drop();
    },
  };
}
