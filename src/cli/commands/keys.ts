import { CLI_ACTOR, type ChangeOrigin } from '../../audit/actor.js';
import {
  generateSigningKeys,
  importSigningKeyFile,
  listSigningKeys,
  rotateSigningKeys,
  SigningKeysExistError,
  type KeyDescription,
} from '../../keys/signing-keys-service.js';
import { UsageError, type Command } from '../command.js';
import { formatTable } from '../format-table.js';

const FROM_CLI: ChangeOrigin = { via: 'cli' };

const table = (keys: KeyDescription[]) =>
  formatTable(
    ['KID', 'ALG', 'STATUS', 'SIGNS FROM', 'RETIRES AT'],
    keys.map((k) => [k.kid, k.alg, k.status, k.sign_from, k.retire_at]),
  );

export const keysGenerate: Command = {
  name: 'keys generate',
  summary: 'create the signing keys in the database, encrypted (the configured algorithm, plus RS256 for ID tokens); --force replaces all of them',
  usage: '[--force]',
  options: { force: { type: 'boolean' } },
  async run(ctx, options) {
    try {
      const { added, replaced } = await generateSigningKeys(await ctx.signingKeys(), CLI_ACTOR, FROM_CLI, { force: options.force === true });
      const what = added.map((k) => `${k.alg} key ${k.kid}`).join(' and ');
      ctx.print(`${replaced ? `replaced ${replaced} key(s) with` : 'created'} ${what}`, { keys: added.map(({ kid, alg }) => ({ kid, alg })), replaced });
    } catch (error) {
      if (error instanceof SigningKeysExistError) throw new UsageError(error.message);
      throw error;
    }
  },
};

export const keysImport: Command = {
  name: 'keys import',
  summary: 'copy the key file of KEYS_DIR (jwks.json, from versions that kept keys there) into the database, once: only while the database holds no keys',
  async run(ctx) {
    try {
      const { file, imported } = await importSigningKeyFile(await ctx.signingKeys(), ctx.config.runtime.keysDir, CLI_ACTOR, FROM_CLI);
      ctx.print(
        `imported ${imported.length} signing key(s) from ${file} into the database (encrypted); servers no longer read that file: keep it offline as a backup or delete it`,
        {
          file,
          imported: imported.map(({ kid, alg }) => ({ kid, alg })),
        },
      );
    } catch (error) {
      if (error instanceof SigningKeysExistError) throw new UsageError(error.message);
      throw error;
    }
  },
};

export const keysList: Command = {
  name: 'keys list',
  summary: 'list the signing keys and their state (signing, pending, published, retired); public information only',
  async run(ctx) {
    const keys = await listSigningKeys((await ctx.database()).knex, ctx.config.auth.jwt.algorithm);
    if (!keys.length) throw new UsageError('there are no signing keys in the database; create them with auth-connect keys generate');
    ctx.print(table(keys), { keys });
  },
};

export const keysRotate: Command = {
  name: 'keys rotate',
  summary:
    'add new signing keys, published now and signing after signing_keys.prepublish_seconds; the old ones retire when their tokens have expired. Running servers follow without a restart',
  async run(ctx) {
    const { keys, added } = await rotateSigningKeys(await ctx.signingKeys(), CLI_ACTOR, FROM_CLI);
    const signFrom = (kid: string) => keys.find((k) => k.kid === kid)?.sign_from;
    ctx.print([...added.map((k) => `added ${k.alg} key ${k.kid}, signing from ${signFrom(k.kid)}`), ...table(keys)], {
      added: added.map(({ kid, alg }) => ({ kid, alg })),
      keys,
    });
  },
};
