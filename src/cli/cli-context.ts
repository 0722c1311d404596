import { loadConfig } from '../config/load-config.js';
import type { Config } from '../config/types.js';
import { embeddedDatabaseExists } from '../db/embedded-database.js';
import { openDatabase, type Database } from '../db/open-database.js';
import { migrateToLatest } from '../db/migrations.js';
import { AuthConnectError } from '../errors.js';
import type { AccountsContext } from '../accounts/accounts-service.js';
import { existingServerSecret, resolveServerSecret } from '../config/server-secret.js';
import { resolveKeyEncryptionKey } from '../keys/key-encryption.js';
import type { SigningKeysContext } from '../keys/signing-keys-service.js';
import type { CliIo } from './cli-io.js';
import type { MailingContext } from '../email-links/mailing-context.js';
import { createOutbox, mailSeal } from '../mail/index.js';

export interface CliOptions {
  json: boolean;
  /** --create: the command may create a new embedded database when DATA_DIR holds none. */
  create?: boolean;
}

/** The embedded database a command would use does not exist, and creating one was not asked for. */
export class NoDatabaseError extends AuthConnectError {
  constructor(dataDir: string) {
    super(
      'NO_DATABASE',
      `there is no embedded database in ${dataDir} (DATA_DIR) and this command would create a new, empty one; ` +
        "point DATA_DIR (or DATABASE_URL) at the server's database, or create one with npx auth-connect init (or --create)",
    );
    this.name = 'NoDatabaseError';
  }
}

/** What every command gets: output that honours --json, and config and database opened on first use. */
export class CliContext {
  readonly json: boolean;
  readonly #create: boolean;
  #config?: Config;
  #database?: Database;
  /** The streams and environment of this command line (the process's, or a test's). */
  readonly io: CliIo;

  constructor(options: CliOptions, io: CliIo) {
    this.json = options.json;
    this.#create = options.create === true;
    this.io = io;
  }

  get config(): Config {
    this.#config ??= loadConfig(this.io.env);
    return this.#config;
  }

  /**
   * The database, opened and brought to the latest schema (as the server does at start-up). A missing
   * embedded database is created only by commands that exist to do so (`create: true`) or with --create:
   * otherwise a CLI run without the server's DATA_DIR would write into a fresh database the server never reads.
   */
  async database(options: { migrate?: boolean; create?: boolean } = {}): Promise<Database> {
    if (!this.#database) {
      const { runtime } = this.config;
      if (!runtime.databaseUrl && !this.#create && !options.create && !embeddedDatabaseExists(runtime.dataDir)) {
        throw new NoDatabaseError(runtime.dataDir);
      }
      this.#database = await (this.io.openDatabase ?? openDatabase)(runtime, { role: 'cli', poolSize: 2 });
      if (options.migrate !== false) await migrateToLatest(this.#database.knex);
    }
    return this.#database;
  }

  /** What the keys commands need: the database and the key-encryption key the server uses (the same environment gives the same key). */
  async signingKeys(): Promise<SigningKeysContext> {
    const { runtime, auth } = this.config;
    const kek = resolveKeyEncryptionKey(runtime, () => resolveServerSecret(runtime, (message) => this.io.stderr.write(`auth-connect: ${message}\n`)));
    return { db: (await this.database()).knex, auth, kek };
  }

  /** The key-encryption key if one can be had without creating a server secret (`health` only looks). */
  keyEncryptionKeyIfKnown() {
    const { runtime } = this.config;
    const secret = existingServerSecret(runtime);
    return runtime.keysEncryptionKey || secret ? resolveKeyEncryptionKey(runtime, () => secret!) : undefined;
  }

  async accounts(): Promise<AccountsContext> {
    return { db: (await this.database()).knex, config: this.config };
  }

  /**
   * The outbox, for commands that mail (a reset link): they only queue the mail, sealed with the server's
   * secret (the same environment gives the same secret); a running server's worker sends it, or the next
   * server to start.
   */
  async mailing(): Promise<MailingContext> {
    const { runtime } = this.config;
    const secret = resolveServerSecret(runtime, (message) => this.io.stderr.write(`auth-connect: ${message}\n`));
    return { db: (await this.database()).knex, config: this.config, outbox: createOutbox(mailSeal(secret)) };
  }

  /**
   * Prints `human` (lines) normally, or `data` as JSON with --json. A command that used the database
   * says which one, in both forms, so a CLI pointed at the wrong DATA_DIR or DATABASE_URL is noticed.
   */
  print(human: string | string[], data: Record<string, unknown>): void {
    const database = this.#database?.description;
    if (this.json) {
      this.io.stdout.write(`${JSON.stringify(database ? { ...data, database } : data, null, 2)}\n`);
      return;
    }
    const lines = Array.isArray(human) ? human : [human];
    // init, migrate and health name the database in their own words; no need to say it twice
    const named = !database || lines.some((line) => line.includes(database));
    this.io.stdout.write(`${[...lines, ...(named ? [] : [`database: ${database}`])].join('\n')}\n`);
  }

  async close(): Promise<void> {
    await this.#database?.close();
  }
}
