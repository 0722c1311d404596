import { CLI_ACTOR } from '../../audit/actor.js';
import { migrateToLatest } from '../../db/migrations.js';
import { prepareSigningKeys } from '../../keys/signing-keys-service.js';
import type { Command } from '../command.js';

export const init: Command = {
  name: 'init',
  summary: 'prepare a new installation: migrate the database, create signing keys in it if there are none (importing a KEYS_DIR key file if there is one)',
  async run(ctx) {
    const database = await ctx.database({ migrate: false, create: true });
    const applied = await migrateToLatest(database.knex);
    const notes: string[] = [];
    const say = { info: (message: string) => notes.push(message), warn: (message: string) => notes.push(message) };
    const { set, generated, importedFrom } = await prepareSigningKeys(await ctx.signingKeys(), ctx.config.runtime.keysDir, {
      generate: true,
      actor: CLI_ACTOR,
      origin: { via: 'cli' },
      say,
    });
    const keys = importedFrom ? `imported ${set.keys.length} from ${importedFrom}` : generated.length ? `created ${generated.join(' and ')}` : 'present';
    const steps = [
      `database: ${database.description}, ${applied.length ? `applied ${applied.length} migration(s)` : 'up to date'}`,
      `signing keys (in the database, encrypted): ${keys}`,
      ...notes,
      '',
      'Next steps:',
      '  npx auth-connect user create --email you@example.com --role admin',
      '  npm start',
    ];
    ctx.print(steps, { database: database.description, applied, createdKeys: generated, ...(importedFrom ? { importedFrom } : {}) });
  },
};
