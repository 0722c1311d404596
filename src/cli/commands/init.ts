import { migrateToLatest } from '../../db/migrations.js';
import { generateSigningKey, requiredAlgorithms } from '../../keys/generate-signing-key.js';
import { keySetPath, readKeySet, writeKeySet } from '../../keys/key-set-file.js';
import type { Command } from '../command.js';

export const init: Command = {
  name: 'init',
  summary: 'prepare a new installation: migrate the database, create signing keys if there are none',
  async run(ctx) {
    const database = await ctx.database({ migrate: false, create: true });
    const applied = await migrateToLatest(database.knex);
    const { keysDir } = ctx.config.runtime;
    const existing = readKeySet(keysDir);
    const missing = requiredAlgorithms(ctx.config.auth.jwt.algorithm).filter((alg) => !existing?.keys.some((k) => k.alg === alg));
    if (missing.length) writeKeySet(keysDir, { keys: [...(existing?.keys ?? []), ...(await Promise.all(missing.map(generateSigningKey)))] });
    const steps = [
      `database: ${database.description}, ${applied.length ? `applied ${applied.length} migration(s)` : 'up to date'}`,
      `signing keys: ${keySetPath(keysDir)}, ${missing.length ? `created ${missing.join(' and ')}` : 'present'}`,
      '',
      'Next steps:',
      '  npx auth-connect user create --email you@example.com --role admin',
      '  npm start',
    ];
    ctx.print(steps, { database: database.description, applied, keys: keySetPath(keysDir), createdKeys: missing });
  },
};
