import { basicAuth } from '../http.js';
import { runLoad } from '../load/run-load.js';
import type { LoadResult } from '../load/spec.js';
import { settings } from '../settings.js';
import type { BenchContext } from './context.js';

const CC = { method: 'POST' as const, path: '/token', body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'read write' }).toString() };

/**
 * client_credentials on one process and on two processes sharing the database, keys and secret; the same
 * 16 connections in total (8 to each when there are two). On a 2-core machine that also runs Postgres and
 * the load generators, a second process mostly shows what the Postgres side costs, not what a second machine buys.
 */
export async function scaleOut(ctx: BenchContext, one: LoadResult): Promise<{ one: LoadResult; two: LoadResult[] }> {
  const second = await ctx.startAnother('b');
  try {
    ctx.log('client_credentials on two processes');
    const headers = { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(ctx.seeded.machine) };
    const half = settings.connections / 2;
    const spec = (label: string, origin: string) => ({
      ...CC,
      label,
      origin,
      headers,
      connections: half,
      warmupSeconds: settings.warmupSeconds,
      durationSeconds: settings.durationSeconds,
    });
    const two = await ctx.underLoad(() =>
      Promise.all([runLoad(spec('client_credentials, process A of 2', ctx.ours.url)), runLoad(spec('client_credentials, process B of 2', second.url))]),
    );
    return { one, two };
  } finally {
    await second.stop();
  }
}
