import { describeFailure } from '../../describe-failure.js';
import { migrationStatus } from '../../db/migrations.js';
import type { Command } from '../command.js';
import { filePermissions, healthChecks } from '../health-checks.js';

export const health: Command = {
  name: 'health',
  summary: 'check database, migrations, signing keys and file permissions; exit 0 when all are fine, 1 otherwise',
  async run(ctx) {
    // before the database: opening the embedded database tightens DATA_DIR, which would hide what was found
    const permissions = await filePermissions(ctx);
    const results: { check: string; ok: boolean; detail: string }[] = [];
    let database: Awaited<ReturnType<typeof ctx.database>> | undefined;
    try {
      database = await ctx.database({ migrate: false });
      await database.knex.raw('select 1');
      results.push({ check: 'database', ok: true, detail: database.description });
    } catch (error) {
      results.push({ check: 'database', ok: false, detail: describeFailure(error) });
    }
    if (database) {
      try {
        const { applied, pending } = await migrationStatus(database.knex);
        results.push({
          check: 'migrations',
          ok: pending.length === 0,
          detail: pending.length ? `${pending.length} pending; run auth-connect migrate` : `${applied.length} applied, none pending`,
        });
      } catch (error) {
        results.push({ check: 'migrations', ok: false, detail: describeFailure(error) });
      }
    }
    for (const extra of healthChecks) results.push(await extra(ctx));
    results.push(permissions);
    const ok = results.every((r) => r.ok);
    ctx.print(
      results.map((r) => `${r.ok ? 'ok  ' : 'FAIL'}  ${r.check}: ${r.detail}`),
      { ok, checks: results },
    );
    return ok ? 0 : 1;
  },
};
