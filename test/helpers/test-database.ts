import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import type { RuntimeSettings } from '../../src/config/types.js';
import { openDatabase, type Database } from '../../src/db/open-database.js';
import { makeOwnerOnly } from '../../src/files/make-owner-only.js';
import { packageRoot } from '../../src/paths.js';

export type EngineName = 'embedded' | 'postgres';

/** The engines the suites run on: the embedded database always, Postgres when TEST_DATABASE_URL is set. */
export function testEngines(): EngineName[] {
  return process.env.TEST_DATABASE_URL ? ['embedded', 'postgres'] : ['embedded'];
}

export interface TestDatabase {
  engine: EngineName;
  /** Environment that points a spawned server or CLI at this database. */
  env: Record<string, string>;
  runtime: RuntimeSettings;
  /** Opens it in this process (for the embedded engine: as its owner). */
  open(): Promise<Database>;
  /** Opens it as the CLI would: beside a running server that owns an embedded database. */
  openBeside(): Promise<Database>;
  drop(): Promise<void>;
}

/**
 * A fresh, empty database of the given engine: a new Postgres database next to TEST_DATABASE_URL's,
 * or a new embedded data directory (copied from a once-initialised template, since PGlite's initdb takes seconds).
 */
export async function createTestDatabase(engine: EngineName): Promise<TestDatabase> {
  return engine === 'postgres' ? createPostgresDatabase() : createEmbeddedDatabase();
}

function runtimeFor(overrides: Partial<RuntimeSettings>): RuntimeSettings {
  const dataDir = overrides.dataDir ?? mkdtempSync(path.join(tmpdir(), 'ac-data-'));
  return {
    production: false,
    issuer: 'http://localhost:3000',
    port: 0,
    host: '127.0.0.1',
    dataDir,
    configDir: path.join(packageRoot, 'config'),
    keysDir: path.join(dataDir, 'keys'),
    metricsHost: '127.0.0.1',
    logLevel: 'silent',
    workers: 1,
    ...overrides,
  };
}

async function createPostgresDatabase(): Promise<TestDatabase> {
  const base = new URL(process.env.TEST_DATABASE_URL!);
  const name = `ac_test_${randomBytes(6).toString('hex')}`;
  const admin = adminKnex(base);
  try {
    await admin.raw(`create database ${name}`);
  } finally {
    await admin.destroy();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  const runtime = runtimeFor({ databaseUrl: url.toString() });
  return {
    engine: 'postgres',
    env: { DATABASE_URL: url.toString(), DATA_DIR: runtime.dataDir, KEYS_DIR: runtime.keysDir },
    runtime,
    open: () => openDatabase(runtime, { role: 'server', poolSize: 10 }),
    openBeside: () => openDatabase(runtime, { role: 'cli', poolSize: 4 }),
    drop: async () => {
      const knex = adminKnex(base);
      try {
        await knex.raw(`drop database if exists ${name} with (force)`);
      } finally {
        await knex.destroy();
      }
      rmSync(runtime.dataDir, { recursive: true, force: true });
    },
  };
}

function adminKnex(base: URL): Knex {
  return knexFactory({ client: 'pg', connection: base.toString(), pool: { min: 0, max: 1 } });
}

let template: Promise<string> | undefined;

/** Puts an initialised, empty embedded database into `dataDir`, as opening it there would create one, in milliseconds. */
export async function copyEmbeddedTemplate(dataDir: string): Promise<void> {
  template ??= embeddedTemplate();
  cpSync(await template, path.join(dataDir, 'pgdata'), { recursive: true });
}

async function createEmbeddedDatabase(): Promise<TestDatabase> {
  const runtime = runtimeFor({});
  await copyEmbeddedTemplate(runtime.dataDir);
  makeOwnerOnly('DATA_DIR', runtime.dataDir); // as auth-connect leaves a database it created
  return {
    engine: 'embedded',
    env: { DATA_DIR: runtime.dataDir, KEYS_DIR: runtime.keysDir },
    runtime,
    open: () => openDatabase(runtime, { role: 'server' }),
    openBeside: () => openDatabase(runtime, { role: 'cli' }),
    drop: async () => rmSync(runtime.dataDir, { recursive: true, force: true }),
  };
}

/** An initialised, empty PGlite data directory, made once per machine and PGlite version. */
async function embeddedTemplate(): Promise<string> {
  const manifest = path.join(packageRoot, 'node_modules', '@electric-sql', 'pglite', 'package.json');
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  const target = path.join(tmpdir(), `auth-connect-pglite-template-${version}`);
  if (existsSync(path.join(target, 'PG_VERSION'))) return target;
  const work = mkdtempSync(path.join(tmpdir(), 'ac-template-'));
  const database = await openDatabase(runtimeFor({ dataDir: work }), { role: 'server' });
  await database.close();
  // test files may run in parallel processes: the first rename wins, the others keep what it made
  if (existsSync(target) && !existsSync(path.join(target, 'PG_VERSION'))) rmSync(target, { recursive: true, force: true });
  try {
    renameSync(path.join(work, 'pgdata'), target);
  } catch (error) {
    if (!existsSync(path.join(target, 'PG_VERSION'))) throw error;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return target;
}
