import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import type { RuntimeSettings } from '../../src/config/types.js';
import { migrateToLatest } from '../../src/db/migrations.js';
import { openDatabase, type Database } from '../../src/db/open-database.js';
import { makeOwnerOnly } from '../../src/files/make-owner-only.js';
import { migrationsDir, packageRoot } from '../../src/paths.js';

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

export interface TestDatabaseOptions {
  /**
   * Start with the schema already up to date (copied from a template migrated once per schema version) rather
   * than empty. For suites whose subject is not the migrations: they cost seconds per server on the embedded
   * database. The server's start then finds the schema up to date, as at every start after the first.
   */
  migrated?: boolean;
}

/**
 * A fresh database of the given engine: a new Postgres database next to TEST_DATABASE_URL's, or a new
 * embedded data directory (copied from a once-initialised template, since PGlite's initdb takes seconds).
 * Empty unless `migrated` is asked for.
 */
export async function createTestDatabase(engine: EngineName, options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  return engine === 'postgres' ? createPostgresDatabase(options) : createEmbeddedDatabase(options);
}

/** Names the schema version: a hash of the compiled migrations, so a changed or added migration makes new templates. */
function schemaVersion(): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(migrationsDir)
    .filter((name) => name.endsWith('.js'))
    .sort()) {
    hash.update(file).update(readFileSync(path.join(migrationsDir, file)));
  }
  return hash.digest('hex').slice(0, 12);
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

async function createPostgresDatabase({ migrated = false }: TestDatabaseOptions): Promise<TestDatabase> {
  const base = new URL(process.env.TEST_DATABASE_URL!);
  const name = `ac_test_${randomBytes(6).toString('hex')}`;
  const admin = adminKnex(base);
  try {
    if (migrated) await createFromTemplate(admin, base, name);
    else await admin.raw(`create database ${name}`);
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

const TEMPLATE_PREFIX = 'ac_test_template_';
const TEMPLATE_LOCK = 0x61637431; // "act1": one test process at a time makes the template

/**
 * `create database … template` copies a migrated template database, made once per schema version (under an
 * advisory lock, since test files run in parallel processes) and left in place for the next run; templates of
 * other schema versions are dropped then. Postgres refuses the copy while another session is connected to the
 * template, which only its maker ever is, briefly: that is retried.
 */
async function createFromTemplate(admin: Knex, base: URL, name: string): Promise<void> {
  const template = `${TEMPLATE_PREFIX}${schemaVersion()}`;
  const { rows } = await admin.raw<{ rows: unknown[] }>('select 1 from pg_database where datname = ?', [template]);
  if (rows.length === 0) await makeTemplate(admin, base, template);
  for (let attempt = 1; ; attempt++) {
    try {
      await admin.raw(`create database ${name} template ${template}`);
      return;
    } catch (error) {
      if (attempt >= 20 || !/being accessed by other users/.test((error as Error).message)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

/** The template, under a session advisory lock on the admin connection (its pool has one): create database cannot run in a transaction. */
async function makeTemplate(admin: Knex, base: URL, template: string): Promise<void> {
  await admin.raw('select pg_advisory_lock(?)', [TEMPLATE_LOCK]);
  try {
    const { rows } = await admin.raw<{ rows: { datname: string }[] }>('select datname from pg_database where datname like ?', [`${TEMPLATE_PREFIX}%`]);
    if (rows.some((row) => row.datname === template)) return;
    for (const { datname } of rows) await admin.raw(`drop database if exists ${datname} with (force)`);
    const building = `${template}_building`;
    await admin.raw(`create database ${building}`);
    const url = new URL(base);
    url.pathname = `/${building}`;
    const knex = knexFactory({ client: 'pg', connection: url.toString(), pool: { min: 0, max: 1 } });
    try {
      await migrateToLatest(knex);
    } finally {
      await knex.destroy();
    }
    await admin.raw(`alter database ${building} rename to ${template}`);
  } finally {
    await admin.raw('select pg_advisory_unlock(?)', [TEMPLATE_LOCK]);
  }
}

function adminKnex(base: URL): Knex {
  return knexFactory({ client: 'pg', connection: base.toString(), pool: { min: 0, max: 1 } });
}

const templates = new Map<string, Promise<string>>();

/** An initialised embedded database, empty or migrated, from its template (made once per machine and version). */
function embeddedTemplateOf(migrated: boolean): Promise<string> {
  const key = migrated ? 'migrated' : 'empty';
  if (!templates.has(key)) templates.set(key, embeddedTemplate(migrated));
  return templates.get(key)!;
}

/** Puts an initialised, empty embedded database into `dataDir`, as opening it there would create one, in milliseconds. */
export async function copyEmbeddedTemplate(dataDir: string, migrated = false): Promise<void> {
  cpSync(await embeddedTemplateOf(migrated), path.join(dataDir, 'pgdata'), { recursive: true });
}

async function createEmbeddedDatabase({ migrated = false }: TestDatabaseOptions): Promise<TestDatabase> {
  const runtime = runtimeFor({});
  await copyEmbeddedTemplate(runtime.dataDir, migrated);
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

/** An initialised PGlite data directory, empty or migrated, made once per machine, PGlite version (and schema version). */
async function embeddedTemplate(migrated: boolean): Promise<string> {
  const manifest = path.join(packageRoot, 'node_modules', '@electric-sql', 'pglite', 'package.json');
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  const target = path.join(tmpdir(), `auth-connect-pglite-template-${version}${migrated ? `-schema-${schemaVersion()}` : ''}`);
  if (existsSync(path.join(target, 'PG_VERSION'))) return target;
  const work = mkdtempSync(path.join(tmpdir(), 'ac-template-'));
  const database = await openDatabase(runtimeFor({ dataDir: work }), { role: 'server' });
  try {
    if (migrated) await migrateToLatest(database.knex);
  } finally {
    await database.close();
  }
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
