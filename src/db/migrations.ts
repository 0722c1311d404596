import { readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Knex } from 'knex';
import { migrationsDir } from '../paths.js';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/** Reads the compiled migrations in dist/migrations in name order; names are stored without extension. */
class CompiledMigrations implements Knex.MigrationSource<string> {
  async getMigrations(): Promise<string[]> {
    return readdirSync(migrationsDir)
      .filter((file) => file.endsWith('.js'))
      .map((file) => file.slice(0, -3))
      .sort();
  }
  getMigrationName(name: string): string {
    return name;
  }
  async getMigration(name: string): Promise<Migration> {
    return (await import(pathToFileURL(path.join(migrationsDir, `${name}.js`)).href)) as Migration;
  }
}

const config = (): Knex.MigratorConfig => ({ migrationSource: new CompiledMigrations(), tableName: 'knex_migrations' });

/** Applies pending migrations; knex's migration lock keeps two instances from running them at once. */
export async function migrateToLatest(knex: Knex): Promise<string[]> {
  const [, applied] = (await knex.migrate.latest(config())) as [number, string[]];
  return applied;
}

export async function rollbackAll(knex: Knex): Promise<string[]> {
  const [, reverted] = (await knex.migrate.rollback(config(), true)) as [number, string[]];
  return reverted;
}

export interface MigrationStatus {
  applied: string[];
  pending: string[];
}

export async function migrationStatus(knex: Knex): Promise<MigrationStatus> {
  const [applied, pending] = (await knex.migrate.list(config())) as [{ name: string }[], string[]];
  return { applied: applied.map((m) => m.name), pending: pending.map((m) => (typeof m === 'string' ? m : (m as { file: string }).file)) };
}
