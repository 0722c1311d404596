import { basicAuth } from '../http.js';
import { runInterleaved } from '../load/run-load.js';
import type { LoadResult, LoadSpec } from '../load/spec.js';
import type { BenchProcess } from '../processes.js';
import { settings } from '../settings.js';
import type { BenchContext } from './context.js';

const CC_BODY = new URLSearchParams({ grant_type: 'client_credentials', scope: 'read write' }).toString();

/**
 * client_credentials on one server started with WORKERS=1 and one with WORKERS=2 (node:cluster), both fresh
 * and without the query counter, on the same database, measured in alternating slices with the same 16
 * connections. No CPU per request: a cluster's work is in its workers, not in the process we started.
 */
export async function workers(ctx: BenchContext): Promise<{ one: LoadResult; two: LoadResult }> {
  const one = await ctx.startAnother('w1', { WORKERS: '1' });
  const two = await ctx.startAnother('w2', { WORKERS: '2' });
  try {
    ctx.log('client_credentials: WORKERS=1 and WORKERS=2, interleaved');
    const spec = (label: string, server: BenchProcess): LoadSpec => ({
      label,
      origin: server.url,
      path: '/token',
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(ctx.seeded.machine) },
      body: CC_BODY,
      connections: settings.connections,
      warmupSeconds: settings.warmupSeconds,
      durationSeconds: settings.durationSeconds,
    });
    const [a, b] = await runInterleaved([spec('client_credentials, WORKERS=1', one), spec('client_credentials, WORKERS=2', two)], settings.rounds);
    return { one: a!, two: b! };
  } finally {
    await two.stop();
    await one.stop();
  }
}
