import { generateSigningKey, requiredAlgorithms } from '../../keys/generate-signing-key.js';
import { keySetPath, readKeySet, writeKeySet } from '../../keys/key-set-file.js';
import { describeKeys, rotateKeyFile } from '../../keys/key-admin.js';
import { UsageError, type Command } from '../command.js';
import { formatTable } from '../format-table.js';

export const keysGenerate: Command = {
  name: 'keys generate',
  summary: 'create the signing keys in KEYS_DIR (the configured algorithm, plus RS256 for ID tokens)',
  usage: '[--force]',
  options: { force: { type: 'boolean' } },
  async run(ctx, options) {
    const { keysDir } = ctx.config.runtime;
    const algorithm = ctx.config.auth.jwt.algorithm;
    const existing = readKeySet(keysDir);
    if (existing && !options.force) {
      const missing = requiredAlgorithms(algorithm).filter((alg) => !existing.keys.some((k) => k.alg === alg));
      if (!missing.length) {
        throw new UsageError(`${keySetPath(keysDir)} already holds keys for ${requiredAlgorithms(algorithm).join(' and ')}; --force replaces them (every token signed so far stops verifying)`);
      }
      const added = await Promise.all(missing.map(generateSigningKey));
      writeKeySet(keysDir, { ...existing, keys: [...existing.keys, ...added] });
      ctx.print(`added ${missing.join(' and ')} key(s) to ${keySetPath(keysDir)}`, { file: keySetPath(keysDir), added: added.map(({ kid, alg }) => ({ kid, alg })) });
      return;
    }
    const keys = await Promise.all(requiredAlgorithms(algorithm).map(generateSigningKey));
    writeKeySet(keysDir, { keys });
    ctx.print(`wrote ${keys.map((k) => `${k.alg} key ${k.kid}`).join(' and ')} to ${keySetPath(keysDir)} (mode 0600)`, {
      file: keySetPath(keysDir),
      keys: keys.map(({ kid, alg }) => ({ kid, alg })),
    });
  },
};

export const keysList: Command = {
  name: 'keys list',
  summary: 'list the signing keys and their state (signing, pending, published, retired); public information only',
  async run(ctx) {
    const set = readKeySet(ctx.config.runtime.keysDir);
    if (!set) throw new UsageError(`no keys in ${keySetPath(ctx.config.runtime.keysDir)}; create them with auth-connect keys generate`);
    const keys = describeKeys(set, ctx.config.auth.jwt.algorithm);
    ctx.print(formatTable(['KID', 'ALG', 'STATUS', 'SIGNS FROM', 'RETIRES AT'], keys.map((k) => [k.kid, k.alg, k.status, k.sign_from, k.retire_at])), { keys });
  },
};

export const keysRotate: Command = {
  name: 'keys rotate',
  summary: 'add new signing keys, published now and signing after signing_keys.prepublish_seconds; the old ones retire when their tokens have expired. Running servers follow without a restart',
  async run(ctx) {
    const { set, added } = await rotateKeyFile(ctx.config.runtime.keysDir, ctx.config.auth);
    const keys = describeKeys(set, ctx.config.auth.jwt.algorithm);
    ctx.print(
      [...added.map((k) => `added ${k.alg} key ${k.kid}, signing from ${set.rotation?.[k.kid]?.sign_from}`), ...formatTable(['KID', 'ALG', 'STATUS', 'SIGNS FROM', 'RETIRES AT'], keys.map((k) => [k.kid, k.alg, k.status, k.sign_from, k.retire_at]))],
      { added: added.map(({ kid, alg }) => ({ kid, alg })), keys },
    );
  },
};
