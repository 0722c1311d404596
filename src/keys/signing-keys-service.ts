import type { Knex } from 'knex';
import type { Actor, ChangeOrigin } from '../audit/actor.js';
import { recordAudit } from '../audit/audit-log.js';
import type { AuthConfig, SigningAlgorithm } from '../config/types.js';
import { AuthConnectError, ConfigError } from '../errors.js';
import { describeKeys, type KeyDescription } from './describe-keys.js';
import { generateSigningKey, requiredAlgorithms } from './generate-signing-key.js';
import { KeyDecryptionError, openPrivateJwk, sealPrivateJwk, type KeyEncryptionKey } from './key-encryption.js';
import { rotateKeySet } from './key-schedule.js';
import { keySetPath, readKeySet, type KeyTimes, type PrivateKeySet, type SigningJwk } from './key-set-file.js';
import { publicKeys } from './public-keys.js';
import {
  deleteAllSigningKeyRows,
  deleteSigningKeyRows,
  insertSigningKeyRows,
  listSigningKeyRows,
  lockSigningKeysForChange,
  notifyChannel,
  setRetireAt,
  type SigningKeyRow,
} from './signing-keys-repository.js';

export type { KeyDescription };

/** The Postgres channel on which a change to the signing keys is announced; instances also poll (key-ring.ts). */
export const SIGNING_KEYS_CHANNEL = 'auth_connect_signing_keys';

/** What changing or reading the private keys needs: the database, the rotation settings, the key that seals them. */
export interface SigningKeysContext {
  db: Knex;
  auth: AuthConfig;
  kek: KeyEncryptionKey;
}

export class SigningKeysExistError extends AuthConnectError {
  constructor(message: string) {
    super('SIGNING_KEYS_EXIST', message);
    this.name = 'SigningKeysExistError';
  }
}

/** Nothing to rotate or import: to the admin API a 503 (SERVICE_UNAVAILABLE), since a running server always has keys. */
export class NoSigningKeysError extends AuthConnectError {
  constructor(message: string) {
    super('SERVICE_UNAVAILABLE', message);
    this.name = 'NoSigningKeysError';
  }
}

/** The key set with private keys, decrypted: what the provider signs with. Throws KeyDecryptionError for a wrong key-encryption key. */
export async function readSigningKeys(db: Knex, kek: KeyEncryptionKey): Promise<PrivateKeySet> {
  return toKeySet(await listSigningKeyRows(db), (row) => ({
    ...openPrivateJwk(kek, row.kid, row.encrypted_private_jwk, row.kek_id),
    kid: row.kid,
    alg: row.alg,
    use: 'sig',
  }));
}

/** The key set with public keys only (no key-encryption key needed): for listing and for verifying tokens. */
export async function readPublicSigningKeys(db: Knex): Promise<PrivateKeySet> {
  return toKeySet(await listSigningKeyRows(db), publicHalf);
}

export async function listSigningKeys(db: Knex, configured: SigningAlgorithm, now = Date.now()): Promise<KeyDescription[]> {
  return describeKeys(await readPublicSigningKeys(db), configured, now);
}

/**
 * Adds a new key per required algorithm, published now and signing after signing_keys.prepublish_seconds;
 * the keys it replaces retire once their tokens have expired, already retired ones are deleted. The change
 * and its audit row are one transaction; the announcement is delivered at commit.
 */
export async function rotateSigningKeys(
  ctx: SigningKeysContext,
  actor: Actor,
  origin: ChangeOrigin,
  now = Date.now(),
): Promise<{ keys: KeyDescription[]; added: SigningJwk[] }> {
  return ctx.db.transaction(async (trx) => {
    await lockSigningKeysForChange(trx);
    const rows = await listSigningKeyRows(trx);
    if (!rows.length) throw new NoSigningKeysError('there are no signing keys in the database to rotate; create them with auth-connect keys generate');
    refuseOtherKeyEncryptionKey(rows, ctx.kek);
    const before = toKeySet(rows, publicHalf);
    const { set, added } = await rotateKeySet(before, requiredAlgorithms(ctx.auth.jwt.algorithm), ctx.auth, now);
    const removed = before.keys.filter((k) => !set.keys.some((kept) => kept.kid === k.kid)).map((k) => k.kid);
    await deleteSigningKeyRows(trx, removed);
    const retiring: { kid: string; retire_at: string }[] = [];
    for (const key of before.keys) {
      const retireAt = set.rotation?.[key.kid]?.retire_at;
      if (retireAt && retireAt !== before.rotation?.[key.kid]?.retire_at) {
        await setRetireAt(trx, key.kid, new Date(retireAt));
        retiring.push({ kid: key.kid, retire_at: retireAt });
      }
    }
    await insertSigningKeyRows(
      trx,
      added.map((key) => sealedRow(ctx.kek, key, set.rotation?.[key.kid])),
    );
    await audit(trx, 'keys.rotated', actor, origin, { added: added.map(({ kid, alg }) => ({ kid, alg })), retiring, removed });
    await notifyChannel(trx, SIGNING_KEYS_CHANNEL, 'rotated');
    return { keys: describeKeys(set, ctx.auth.jwt.algorithm, now), added };
  });
}

/**
 * Creates the keys the configuration needs (the configured algorithm, and RS256 for ID tokens) that the
 * database lacks. `force` replaces every key at once (every token signed so far stops verifying): the way
 * out when the key-encryption key is lost.
 */
export async function generateSigningKeys(
  ctx: SigningKeysContext,
  actor: Actor,
  origin: ChangeOrigin,
  options: { force?: boolean } = {},
): Promise<{ added: SigningJwk[]; replaced: number }> {
  const required = requiredAlgorithms(ctx.auth.jwt.algorithm);
  return ctx.db.transaction(async (trx) => {
    await lockSigningKeysForChange(trx);
    const rows = await listSigningKeyRows(trx);
    if (options.force) await deleteAllSigningKeyRows(trx);
    else refuseOtherKeyEncryptionKey(rows, ctx.kek);
    const kept = options.force ? [] : rows;
    const missing = required.filter((alg) => !kept.some((row) => row.alg === alg));
    if (!missing.length)
      throw new SigningKeysExistError(
        `the database already holds keys for ${required.join(' and ')}; --force replaces them (every token signed so far stops verifying)`,
      );
    const added = await Promise.all(missing.map(generateSigningKey));
    await insertSigningKeyRows(
      trx,
      added.map((key) => sealedRow(ctx.kek, key)),
    );
    await audit(trx, 'keys.generated', actor, origin, {
      added: added.map(({ kid, alg }) => ({ kid, alg })),
      replaced: options.force ? rows.map((r) => r.kid) : [],
    });
    await notifyChannel(trx, SIGNING_KEYS_CHANNEL, 'generated');
    return { added, replaced: options.force ? rows.length : 0 };
  });
}

/**
 * Copies the key file of KEYS_DIR (the storage before the database) into the database, with its schedule,
 * once: only into an empty table, so a second import, or one on an installation that already has keys,
 * changes nothing and says so.
 */
export async function importSigningKeyFile(
  ctx: SigningKeysContext,
  keysDir: string,
  actor: Actor,
  origin: ChangeOrigin,
): Promise<{ file: string; imported: SigningJwk[] }> {
  const file = keySetPath(keysDir);
  const set = readKeySet(keysDir);
  if (!set) throw new NoSigningKeysError(`there is no key file at ${file} to import (KEYS_DIR=${keysDir})`);
  return ctx.db.transaction(async (trx) => {
    await lockSigningKeysForChange(trx);
    const rows = await listSigningKeyRows(trx);
    if (rows.length)
      throw new SigningKeysExistError(
        `the database already holds ${rows.length} signing key(s); nothing imported from ${file} (an import only fills an empty table)`,
      );
    return { file, imported: await insertImported(trx, ctx, set, file, actor, origin) };
  });
}

export interface PrepareOptions {
  /** Whether missing keys may be created: outside production at start, and always by `auth-connect init`. */
  generate: boolean;
  actor: Actor;
  origin: ChangeOrigin;
  say: { info(message: string): void; warn(message: string): void };
  /** The warning that comes with generated keys (none for init, which exists to create them). */
  generatedWarning?: string;
}

export interface PreparedKeys {
  set: PrivateKeySet;
  generated: SigningAlgorithm[];
  /** The key file imported into an empty table at this start. */
  importedFrom?: string;
}

/**
 * The keys a server starts with, taken from the database. On an empty table a key file in KEYS_DIR is
 * imported (once); without one, keys are generated outside production (with a warning) while production
 * refuses to start, as it did without a key file: the first keys of a production installation are made on
 * purpose, with auth-connect keys generate or init. Two instances starting at once wait for each other.
 */
export async function prepareSigningKeys(ctx: SigningKeysContext, keysDir: string, options: PrepareOptions): Promise<PreparedKeys> {
  const required = requiredAlgorithms(ctx.auth.jwt.algorithm);
  const { actor, origin, say } = options;
  return ctx.db.transaction(async (trx) => {
    let rows = await listSigningKeyRows(trx);
    let importedFrom: string | undefined;
    let generated: SigningAlgorithm[] = [];
    if (rows.length === 0 || required.some((alg) => !rows.some((row) => row.alg === alg))) {
      await lockSigningKeysForChange(trx);
      rows = await listSigningKeyRows(trx);
      if (!rows.length) {
        const file = readKeySet(keysDir);
        if (file) {
          importedFrom = keySetPath(keysDir);
          const imported = await insertImported(trx, ctx, file, importedFrom, actor, origin);
          say.info(
            `imported ${imported.length} signing key(s) from ${importedFrom} into the database; servers no longer read that file: keep it offline as a backup or delete it`,
          );
          rows = await listSigningKeyRows(trx);
        }
      }
      refuseOtherKeyEncryptionKey(rows, ctx.kek);
      generated = required.filter((alg) => !rows.some((row) => row.alg === alg));
      if (generated.length) {
        if (!options.generate) {
          throw new ConfigError(
            `no ${generated.join(' and ')} signing key in the database (and no ${keySetPath(keysDir)} to import); create keys with: auth-connect keys generate`,
          );
        }
        const added = await Promise.all(generated.map(generateSigningKey));
        await insertSigningKeyRows(
          trx,
          added.map((key) => sealedRow(ctx.kek, key)),
        );
        await audit(trx, 'keys.generated', actor, origin, { added: added.map(({ kid, alg }) => ({ kid, alg })), replaced: [] });
        await notifyChannel(trx, SIGNING_KEYS_CHANNEL, 'generated');
        if (options.generatedWarning) say.warn(`generated ${generated.join(' and ')} signing key(s) in the database; ${options.generatedWarning}`);
        rows = await listSigningKeyRows(trx);
      }
    }
    const set = toKeySet(rows, (row) => ({
      ...openPrivateJwk(ctx.kek, row.kid, row.encrypted_private_jwk, row.kek_id),
      kid: row.kid,
      alg: row.alg,
      use: 'sig',
    }));
    return { set, generated, importedFrom };
  });
}

/** Whether the database holds the keys the configuration needs (for `auth-connect health`), and whether this key-encryption key opens them. */
export async function checkSigningKeys(db: Knex, auth: AuthConfig, kek: KeyEncryptionKey | undefined): Promise<{ ok: boolean; detail: string }> {
  const rows = await listSigningKeyRows(db);
  if (!rows.length) return { ok: false, detail: 'no signing keys in the database; run auth-connect keys generate' };
  const missing = requiredAlgorithms(auth.jwt.algorithm).filter((alg) => !rows.some((row) => row.alg === alg));
  if (missing.length) return { ok: false, detail: `no ${missing.join(' and ')} key in the database; run auth-connect keys generate` };
  if (!kek)
    return {
      ok: true,
      detail: `${rows.length} signing key(s) in the database, encrypted at rest (not opened: no JWT_SECRET, KEYS_ENCRYPTION_KEY or server secret here)`,
    };
  try {
    for (const row of rows) openPrivateJwk(kek, row.kid, row.encrypted_private_jwk, row.kek_id);
  } catch (error) {
    return { ok: false, detail: (error as Error).message };
  }
  return { ok: true, detail: `${rows.length} signing key(s) in the database, encrypted at rest` };
}

async function insertImported(
  trx: Knex.Transaction,
  ctx: SigningKeysContext,
  set: PrivateKeySet,
  file: string,
  actor: Actor,
  origin: ChangeOrigin,
): Promise<SigningJwk[]> {
  const now = Date.now();
  // keys already retired by the file's schedule are left behind: nothing would publish them again
  const live = set.keys.filter((key) => !set.rotation?.[key.kid]?.retire_at || Date.parse(set.rotation[key.kid]!.retire_at!) > now);
  await insertSigningKeyRows(
    trx,
    live.map((key) => sealedRow(ctx.kek, key, set.rotation?.[key.kid])),
  );
  await audit(trx, 'keys.imported', actor, origin, { file, imported: live.map(({ kid, alg }) => ({ kid, alg })) });
  await notifyChannel(trx, SIGNING_KEYS_CHANNEL, 'imported');
  return live;
}

/** Adding keys sealed with another key-encryption key would leave a table no single server can read. */
function refuseOtherKeyEncryptionKey(rows: SigningKeyRow[], kek: KeyEncryptionKey): void {
  const row = rows.find((r) => r.kek_id !== kek.id);
  if (row) openPrivateJwk(kek, row.kid, row.encrypted_private_jwk, row.kek_id);
}

function sealedRow(kek: KeyEncryptionKey, key: SigningJwk, times?: KeyTimes) {
  const [publicJwk] = publicKeys({ keys: [key] });
  return {
    kid: key.kid,
    alg: key.alg,
    public_jwk: publicJwk!,
    encrypted_private_jwk: sealPrivateJwk(kek, key.kid, key),
    kek_id: kek.id,
    created_at: times?.created_at ? new Date(times.created_at) : new Date(),
    sign_from: times?.sign_from ? new Date(times.sign_from) : null,
    retire_at: times?.retire_at ? new Date(times.retire_at) : null,
  };
}

function publicHalf(row: SigningKeyRow): SigningJwk {
  return { ...row.public_jwk, kid: row.kid, alg: row.alg, use: 'sig' };
}

function toKeySet(rows: SigningKeyRow[], key: (row: SigningKeyRow) => SigningJwk): PrivateKeySet {
  const iso = (date: Date | null) => (date ? new Date(date).toISOString() : undefined);
  return {
    keys: rows.map(key),
    rotation: Object.fromEntries(
      rows.map((row) => [
        row.kid,
        {
          created_at: iso(row.created_at)!,
          ...(row.sign_from ? { sign_from: iso(row.sign_from) } : {}),
          ...(row.retire_at ? { retire_at: iso(row.retire_at) } : {}),
        },
      ]),
    ),
  };
}

function audit(trx: Knex, event: string, actor: Actor, origin: ChangeOrigin, details: Record<string, unknown>): Promise<void> {
  return recordAudit(trx, { event, actor, ip: origin.ip, userAgent: origin.userAgent, details: { via: origin.via, ...details } });
}

export { KeyDecryptionError };
