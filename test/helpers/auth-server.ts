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
import { startServer, type RunningServer } from './processes.js';
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

export interface TestAuthServer {
  issuer: string;
  server: RunningServer;
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
 * A real auth-connect server in its own process on a fresh database, plus a connection beside it that
 * tests use to create users and clients the way the CLI does.
 */
export async function startAuthServer(engine: EngineName, env: Record<string, string> = {}): Promise<TestAuthServer> {
  const testDb = await createTestDatabase(engine);
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const fullEnv = { ...testDb.env, PORT: String(port), ISSUER: issuer, JWT_SECRET: 'test-secret-that-is-long-enough-for-auth-connect', ...env };
  const server = await startServer(fullEnv);
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
