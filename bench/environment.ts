import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import argon2 from 'argon2';
import knexFactory, { type Knex } from 'knex';
import { insertUser } from '../src/accounts/users-repository.js';
import { createClient, type NewClient } from '../src/clients/clients-service.js';
import type { RolesConfig } from '../src/config/types.js';
import { CLI_CALLER } from '../src/rbac/caller.js';
import { loadConfig } from '../src/config/load-config.js';
import { packageRoot } from '../src/paths.js';
import { PASSWORD, REDIRECT_URI, settings } from './settings.js';

const LOCAL_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface BenchDatabase {
  url: string;
  /** True when the bench created it (and drops it at the end). */
  created: boolean;
  drop(): Promise<void>;
}

/** DATABASE_URL if set (the bench adds users and clients to it), else a fresh bench_* database on the local Postgres. */
export async function benchDatabase(): Promise<BenchDatabase> {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, created: false, drop: async () => {} };
  const name = `bench_${randomBytes(5).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: LOCAL_POSTGRES, pool: { min: 0, max: 1 } });
  try {
    await admin.raw(`create database ${name}`);
  } catch (error) {
    throw new Error(`cannot create a bench database on ${LOCAL_POSTGRES} (${(error as Error).message}); start Postgres or set DATABASE_URL`, { cause: error });
  } finally {
    await admin.destroy();
  }
  const url = new URL(LOCAL_POSTGRES);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    created: true,
    drop: async () => {
      const knex = knexFactory({ client: 'pg', connection: LOCAL_POSTGRES, pool: { min: 0, max: 1 } });
      try {
        await knex.raw(`drop database if exists ${name} with (force)`);
      } finally {
        await knex.destroy();
      }
    },
  };
}

export interface BenchDirs {
  root: string;
  configDir: string;
  keysDir: string;
  dataDir(name: string): string;
  remove(): void;
}

/**
 * The shipped config/ with two changes: the per-IP limit on logins (30 a minute by default), which a load
 * generator on one address would hit in its first second, is lifted, and the mail outbox is polled hourly
 * (nothing queues mail here). Everything else is the default, argon2 parameters and session limits included.
 */
export function benchDirs(): BenchDirs {
  const root = mkdtempSync(path.join(tmpdir(), 'ac-bench-'));
  const configDir = path.join(root, 'config');
  mkdirSync(configDir);
  for (const file of ['roles.json', 'clients.json']) copyFileSync(path.join(packageRoot, 'config', file), path.join(configDir, file));
  const auth = JSON.parse(readFileSync(path.join(packageRoot, 'config', 'auth_config.json'), 'utf8')) as Record<string, unknown>;
  delete auth.$schema;
  auth.rate_limit = { login_per_minute: 100_000, register_per_minute: 100_000 };
  // nothing here queues mail: the outbox worker's look every few seconds would only blur the round-trip counts
  auth.mail = { poll_seconds: 3600 };
  writeFileSync(path.join(configDir, 'auth_config.json'), JSON.stringify(auth, null, 2));
  const keysDir = path.join(root, 'keys');
  return {
    root,
    configDir,
    keysDir,
    dataDir: (name) => {
      const dir = path.join(root, `data-${name}`);
      mkdirSync(dir, { recursive: true });
      return dir;
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

export interface Seeded {
  machine: { id: string; secret: string };
  app: { id: string; secret: string };
  loginEmails: string[];
  refreshEmails: string[];
  codeEmails: string[];
  tripEmails: string[];
}

const emails = (kind: string, count: number) => Array.from({ length: count }, (_, i) => `${kind}-${i}@bench.example`);

/**
 * Users and clients, made the way the CLI makes them (clients service: hashed secret in Postgres). Users share
 * one argon2id hash of PASSWORD made with the server's parameters, so seeding costs one hash, not hundreds.
 */
export async function seed(databaseUrl: string, configDir: string): Promise<Seeded> {
  const config = loadConfig({ CONFIG_DIR: configDir, DATABASE_URL: databaseUrl });
  const knex: Knex = knexFactory({ client: 'pg', connection: databaseUrl, pool: { min: 0, max: 4 } });
  try {
    const passwordHash = await argon2.hash(PASSWORD, { type: argon2.argon2id, ...settings.argon2 });
    const seeded: Seeded = {
      machine: await newClient(knex, config.roles, { name: 'bench machine', grant: 'client_credentials', permissions: ['read', 'write'] }),
      app: await newClient(knex, config.roles, { name: 'bench app', grant: 'authorization_code', redirectUris: [REDIRECT_URI], firstParty: true }),
      loginEmails: emails('login', 256),
      refreshEmails: emails('refresh', settings.connections * 2),
      codeEmails: emails('code', 8),
      tripEmails: emails('trips', settings.roundTripSamples),
    };
    const all = [...seeded.loginEmails, ...seeded.refreshEmails, ...seeded.codeEmails, ...seeded.tripEmails];
    for (let i = 0; i < all.length; i += 16) {
      await Promise.all(all.slice(i, i + 16).map((email) => insertUser(knex, { email, passwordHash, role: 'student' })));
    }
    return seeded;
  } finally {
    await knex.destroy();
  }
}

async function newClient(knex: Knex, roles: RolesConfig, input: NewClient) {
  const { client, secret } = await createClient({ db: knex, roles }, CLI_CALLER, input, { via: 'cli' });
  return { id: client.client_id, secret: secret! };
}
