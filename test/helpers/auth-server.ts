import net from 'node:net';
import { createAccount } from '../../src/accounts/accounts-service.js';
import type { UserRow } from '../../src/accounts/users-repository.js';
import { createClient, type NewClient } from '../../src/clients/clients-service.js';
import { CLI_CALLER } from '../../src/rbac/caller.js';
import type { ClientRow } from '../../src/clients/clients-repository.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/types.js';
import type { Database } from '../../src/db/open-database.js';
import { resolveKeyEncryptionKey } from '../../src/keys/key-encryption.js';
import type { PrivateKeySet } from '../../src/keys/key-set-file.js';
import { readSigningKeys } from '../../src/keys/signing-keys-service.js';
import { startServerInProcess } from './in-process-server.js';
import { startServer, type RunningServer, type ServerHandle } from './processes.js';
import { createTestDatabase, type EngineName, type TestDatabase } from './test-database.js';

export const PASSWORD = 'Secret123';
export const ROLES = ['admin', 'instructor', 'student', 'guest'] as const;
export const API = 'urn:auth-connect:api';
/** The shipped roles.json, as tokens should carry it. */
export const PERMISSIONS: Record<string, string[]> = {
  admin: ['read', 'write', 'delete', 'manage_users', 'manage_content', 'manage_system', 'chat', 'save_progress'],
  instructor: ['read', 'write', 'manage_content'],
  student: ['read', 'chat', 'save_progress'],
  guest: ['read'],
};

export interface TestAuthServer<Server extends ServerHandle = ServerHandle> {
  issuer: string;
  server: Server;
  testDb: TestDatabase;
  db: Database;
  config: Config;
  env: Record<string, string>;
  createUser(email: string, role?: string, password?: string): Promise<UserRow>;
  createClient(input: NewClient): Promise<{ client: ClientRow; secret?: string }>;
  /** The server's private signing keys, decrypted from the database as the server does (for tests that forge tokens). */
  signingKeys(): Promise<PrivateKeySet>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * How the server runs: inside the test process by default (the whole server as `npm start` builds it, on its
 * own port); 'spawned' in its own process, for suites whose subject is the process (its exit, signals,
 * workers, several processes on one database).
 */
export type ServerMode = 'in-process' | 'spawned';

/** TEST_SERVERS=spawned runs every suite's server as its own process again, to rule out a difference between the two. */
const defaultMode = (): ServerMode => (process.env.TEST_SERVERS === 'spawned' ? 'spawned' : 'in-process');

/**
 * A real auth-connect server on a fresh database whose schema is up to date (the migrations are tested where
 * they are the subject: startup, database and CLI suites), plus a connection beside it that tests use to
 * create users and clients the way the CLI does.
 */
export function startAuthServer(engine: EngineName, env?: Record<string, string>, mode?: 'in-process'): Promise<TestAuthServer>;
export function startAuthServer(engine: EngineName, env: Record<string, string>, mode: 'spawned'): Promise<TestAuthServer<RunningServer>>;
export async function startAuthServer(engine: EngineName, env: Record<string, string> = {}, mode: ServerMode = defaultMode()): Promise<TestAuthServer> {
  const testDb = await createTestDatabase(engine, { migrated: true });
  // the issuer names the port, so it is chosen before the start; another process may take it meanwhile
  // (the suites run in parallel, beside other programs): then the start is tried again on another port
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const fullEnv = {
      ...testDb.env,
      PORT: String(port),
      ISSUER: issuer,
      JWT_SECRET: 'test-secret-that-is-long-enough-for-auth-connect',
      // argon2 at full cost is most of the time of suites about throttling, flows and input; hashing itself is
      // tested at full cost in accounts.test.ts, database.test.ts and by every spawned server
      UNSAFE_TEST_PASSWORD_HASHING: 'true',
      ...env,
    };
    let server: ServerHandle;
    try {
      server = mode === 'spawned' ? await startServer(fullEnv) : await startServerInProcess(fullEnv);
    } catch (error) {
      if (attempt < 3 && /port \d+ is already in use/.test(String(error))) continue;
      await testDb.drop();
      throw error;
    }
    return beside(testDb, server, issuer, fullEnv);
  }
}

/** The connection beside a started server, and the test's handle on both. */
async function beside<Server extends ServerHandle>(
  testDb: TestDatabase,
  server: Server,
  issuer: string,
  fullEnv: Record<string, string>,
): Promise<TestAuthServer<Server>> {
  const db = await testDb.openBeside();
  const config = loadConfig({ ...fullEnv });
  return {
    issuer,
    server,
    testDb,
    db,
    config,
    env: fullEnv,
    createUser: (email, role = 'student', password = PASSWORD) => createAccount({ db: db.knex, config }, { email, password, role }),
    createClient: (input) => createClient({ db: db.knex, roles: config.roles }, CLI_CALLER, input, { via: 'cli' }),
    signingKeys: () =>
      readSigningKeys(
        db.knex,
        resolveKeyEncryptionKey(config.runtime, () => config.runtime.jwtSecret!),
      ),
    stop: async () => {
      await db.close();
      await server.stop();
      await testDb.drop();
    },
  };
}
