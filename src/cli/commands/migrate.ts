import { migrateToLatest } from '../../db/migrations.js';
import type { Command } from '../command.js';

export const migrate: Command = {
  name: 'migrate',
  summary: 'bring the database schema up to date (the server also does this at start-up)',
  async run(ctx) {
    const database = await ctx.database({ migrate: false, create: true });
    const applied = await migrateToLatest(database.knex);
    ctx.print(
      applied.length
        ? [`applied ${applied.length} migration(s) to the ${database.description}:`, ...applied.map((m) => `  ${m}`)]
        : `the ${database.description} is up to date`,
      {
        database: database.description,
        applied,
      },
    );
  },
};
