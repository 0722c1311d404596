import Router from '@koa/router';
import type { Knex } from 'knex';
import type { Draining } from './draining.js';

export interface ReadinessCheck {
  name: string;
  check: () => Promise<void> | void;
}

const CHECK_TIMEOUT_MS = 2_000;

/**
 * /healthz: the process is alive. /readyz: it can serve (database reachable, migrations current, keys
 * loaded); 503 with the failing check's name otherwise, so a load balancer takes the instance out. Once
 * the instance is draining (SIGTERM) /readyz answers 503 at once, without running the checks.
 */
export function healthRoutes(db: Knex, extraChecks: ReadinessCheck[] = [], draining?: Draining): Router {
  const router = new Router();
  const checks: ReadinessCheck[] = [{ name: 'database', check: () => pingDatabase(db) }, ...extraChecks];

  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });

  router.get('/readyz', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    if (draining?.active) {
      ctx.status = 503;
      ctx.body = { status: 'draining' };
      return;
    }
    const failed: string[] = [];
    await Promise.all(
      checks.map(async ({ name, check }) => {
        try {
          await withTimeout(Promise.resolve(check()), CHECK_TIMEOUT_MS);
        } catch {
          failed.push(name);
        }
      }),
    );
    ctx.status = failed.length ? 503 : 200;
    ctx.body = failed.length ? { status: 'unavailable', failed } : { status: 'ready' };
  });

  return router;
}

async function pingDatabase(db: Knex): Promise<void> {
  await db.raw('select 1');
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
