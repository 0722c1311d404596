import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { BARE_CLIENTS } from '../anchor/bare-clients.js';
import { basicAuth } from '../http.js';
import { settings } from '../settings.js';
import type { BenchContext } from './context.js';

const run = promisify(execFile);
const WRK = ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((candidate) => existsSync(candidate));

/** One wrk slice: requests per second, and the answers that were not 2xx or 3xx (wrk's own count). */
export interface WrkSlice {
  rps: number;
  requests: number;
  notOk: number;
}

export type WrkResult =
  | { measured: true; ours: WrkSlice[]; bare: WrkSlice[]; ratio: number; connections: number; sliceSeconds: number }
  | { measured: false; reason: string };

/**
 * client_credentials measured by wrk, a load generator outside the bench's own (autocannon) code: one
 * thread, the same 16 connections, slices alternated (auth-connect, anchor, …) as in the autocannon row. Its
 * ratio checks that the bench's figure is not an artefact of the tool. wrk comes from Debian (`apt-get
 * install wrk`); without it the row says so and the rest of the run goes on.
 */
export async function wrkCrossCheck(ctx: BenchContext): Promise<WrkResult> {
  if (!WRK) return { measured: false, reason: 'wrk is not installed (apt-get install wrk)' };
  ctx.log('client_credentials again with wrk (1 thread, 16 connections), alternating slices');
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-wrk-'));
  try {
    const script = (authorization: string) => {
      const file = path.join(dir, `${authorization.length}-${Math.random().toString(36).slice(2)}.lua`);
      writeFileSync(
        file,
        [
          'wrk.method = "POST"',
          'wrk.body = "grant_type=client_credentials&scope=read%20write"',
          'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"',
          `wrk.headers["Authorization"] = "${authorization}"`,
        ].join('\n'),
      );
      return file;
    };
    const ours = { url: `${ctx.ours.url}/token`, script: script(basicAuth(ctx.seeded.machine)) };
    const bare = { url: `${ctx.bare.url}/token`, script: script(basicAuth(BARE_CLIENTS.machine)) };
    const sliceSeconds = settings.quick ? 1 : 3;
    const slice = async (target: { url: string; script: string }, seconds: number) => parseWrk(await wrk(target, seconds));
    await slice(ours, 1); // warm-up, thrown away: the autocannon row already warmed both servers
    await slice(bare, 1);
    const result = { ours: [] as WrkSlice[], bare: [] as WrkSlice[] };
    for (let round = 0; round < 3; round++) {
      result.ours.push(await slice(ours, sliceSeconds));
      result.bare.push(await slice(bare, sliceSeconds));
    }
    const total = (slices: WrkSlice[]) => slices.reduce((n, s) => n + s.rps, 0);
    return { measured: true, ...result, ratio: total(result.ours) / total(result.bare), connections: settings.connections, sliceSeconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function wrk(target: { url: string; script: string }, seconds: number): Promise<string> {
  const { stdout } = await run(WRK!, ['-t1', `-c${settings.connections}`, `-d${seconds}s`, '--latency', '-s', target.script, target.url], {
    timeout: (seconds + 30) * 1000,
  });
  return stdout;
}

function parseWrk(output: string): WrkSlice {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(output);
  const requests = /(\d+) requests in/.exec(output);
  if (!rps || !requests) throw new Error(`could not read wrk's answer:\n${output}`);
  const notOk = /Non-2xx or 3xx responses:\s+(\d+)/.exec(output);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const errors = socketErrors ? socketErrors.slice(1).reduce((n, x) => n + Number(x), 0) : 0;
  return { rps: Number(rps[1]), requests: Number(requests[1]), notOk: Number(notOk?.[1] ?? 0) + errors };
}
