import { migrateToLatest } from '../../db/migrations.js';
import type { Command } from '../command.js';

export const init: Command = {
  name: 'init',
  summary: 'prepare a new installation: migrate the database, create signing keys if there are none',
  async run(ctx) {
    const database = await ctx.database({ migrate: false });
    const applied = await migrateToLatest(database.knex);
    const steps = [
      `database: ${database.description}, ${applied.length ? `applied ${applied.length} migration(s)` : 'up to date'}`,
      '',
      'Next steps:',
      '  auth-connect user create --email you@example.com --role admin',
      '  npm start',
    ];
    ctx.print(steps, { database: database.description, applied });
  },
};
