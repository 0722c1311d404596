import { loadConfig } from '../config/load-config.js';
import type { Config } from '../config/types.js';
import { openDatabase, type Database } from '../db/open-database.js';
import { migrateToLatest } from '../db/migrations.js';
import type { AccountsContext } from '../accounts/accounts-service.js';

/** What every command gets: output that honours --json, and config and database opened on first use. */
export class CliContext {
  readonly json: boolean;
  #config?: Config;
  #database?: Database;
  readonly #out: NodeJS.WritableStream;

  constructor(json: boolean, out: NodeJS.WritableStream = process.stdout) {
    this.json = json;
    this.#out = out;
  }

  get config(): Config {
    this.#config ??= loadConfig();
    return this.#config;
  }

  /** The database, opened and brought to the latest schema (as the server does at start-up). */
  async database(options: { migrate?: boolean } = {}): Promise<Database> {
    if (!this.#database) {
      this.#database = await openDatabase(this.config.runtime, { role: 'cli', poolSize: 2 });
      if (options.migrate !== false) await migrateToLatest(this.#database.knex);
    }
    return this.#database;
  }

  async accounts(): Promise<AccountsContext> {
    return { db: (await this.database()).knex, config: this.config };
  }

  /** Prints `human` (lines) normally, or `data` as JSON with --json. */
  print(human: string | string[], data: unknown): void {
    if (this.json) this.#out.write(`${JSON.stringify(data, null, 2)}\n`);
    else this.#out.write(`${Array.isArray(human) ? human.join('\n') : human}\n`);
  }

  async close(): Promise<void> {
    await this.#database?.close();
  }
}
