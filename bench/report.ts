import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../src/paths.js';
import type { LoadResult } from './load/spec.js';
import type { Results } from './results.js';

const BEGIN = '<!-- bench:results:begin (written by `npm run bench -- --write`; edit outside these markers) -->';
const END = '<!-- bench:results:end -->';

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : 'n/a');
const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? 0;

function rate(result: LoadResult, unit: string): string {
  const failed = result.total - result.ok;
  const cpu = result.serverCpuMsPerRequest !== undefined ? ` · server CPU ${result.serverCpuMsPerRequest.toFixed(2)} ms/req` : '';
  return `${int(result.rps)} ${unit}/s · p50 ${ms(result.p50)} ms · p99 ${ms(result.p99)} ms${cpu}${failed ? ` · ${int(failed)} not 2xx` : ''}${result.errors + result.timeouts ? ` · ${result.errors + result.timeouts} errors` : ''}${result.feedExhausted ? ` · feed ran dry ${result.feedExhausted}×` : ''}`;
}

export interface Target {
  name: string;
  goal: string;
  measured: string;
  met: boolean;
}

export function evaluateTargets(r: Results): Target[] {
  const cc = r.clientCredentials.ours.rps / r.clientCredentials.bare.rps;
  const refresh = r.refresh.ours.rps / r.refresh.bare.rps;
  const login = r.login.ours.rps / r.login.argon2.perSecond;
  // refusals: 503 from the bound on argon2 work, or 429 from the login throttle's per-address bucket (every
  // login in flight holds one of its tokens, so 256 at once from one address empty it); either must be quick
  const refusals = ['503', '429'].map((status) => r.login.overload.byStatus[status]).filter((s) => s !== undefined);
  const over = refusals.length
    ? {
        count: refusals.reduce((n, s) => n + s.count, 0),
        withRetryAfter: refusals.reduce((n, s) => n + s.withRetryAfter, 0),
        p99: Math.max(...refusals.map((s) => s.p99)),
      }
    : undefined;
  const served = r.login.overload.byStatus['200'];
  // refused quickly rather than after an unbounded wait: every refusal says when to retry, refusals come back
  // faster than admitted logins, and nothing waits without bound (no timeouts, every answer within 10 s)
  const overloadOk =
    !!over &&
    over.withRetryAfter === over.count &&
    over.p99 < (served?.p50 ?? Infinity) &&
    r.login.overload.max <= 10_000 &&
    r.login.overload.timeouts === 0 &&
    r.login.overload.errors === 0;
  const distinct = r.kit.protectedDistinct.rps / r.kit.jwtVerifyDistinct.rps;
  const repeated = r.kit.protectedRepeated.rps / r.kit.unprotected.rps;
  const restart = median(r.startup.restartMs);
  const embeddedRestart = median(r.startup.embedded.restartMs);
  const codes = r.codes.ours.rps / r.codes.bare.rps;
  const refreshAlone = r.refresh.ours.rps / r.postgresAlone.refresh.rps;
  const rssLimit = Math.min(200, r.memory.bareUnderLoadMb);
  return [
    { name: 'client_credentials vs bare engine', goal: '≥ 0.90×', measured: `${cc.toFixed(3)}×`, met: cc >= 0.9 },
    r.wrk.measured
      ? {
          name: 'client_credentials with wrk (independent load generator) vs the figure above',
          goal: 'within 5 %',
          measured: `${r.wrk.ratio.toFixed(3)}× with wrk against ${cc.toFixed(3)}× (${((r.wrk.ratio / cc - 1) * 100).toFixed(1)} %)`,
          met: Math.abs(r.wrk.ratio / cc - 1) <= 0.05,
        }
      : { name: 'client_credentials with wrk (independent load generator)', goal: 'within 5 % of the figure above', measured: r.wrk.reason, met: false },
    {
      name: 'client_credentials p99 at 16 connections',
      goal: '≤ 20 ms',
      measured: `${ms(r.clientCredentials.ours.p99)} ms`,
      met: r.clientCredentials.ours.p99 <= 20,
    },
    { name: 'refresh (rotation, Postgres) vs bare engine (memory)', goal: '≥ 0.50×', measured: `${refresh.toFixed(3)}×`, met: refresh >= 0.5 },
    { name: 'refresh (rotation) vs its statements on Postgres alone', goal: '≥ 0.70×', measured: `${refreshAlone.toFixed(3)}×`, met: refreshAlone >= 0.7 },
    { name: 'code redemption vs bare engine (memory)', goal: '≥ 0.50×', measured: `${codes.toFixed(3)}×`, met: codes >= 0.5 },
    { name: 'password login vs argon2id verify alone', goal: '≥ 0.90×', measured: `${login.toFixed(3)}×`, met: login >= 0.9 },
    {
      name: `overload (${r.login.overloadConnections} concurrent logins)`,
      goal: 'every refusal (503, 429) with Retry-After; refusal p99 < admitted p50; every answer ≤ 10 s; no timeouts',
      measured: over
        ? `${int(over.count)}× refused (p99 ${ms(over.p99)} ms, Retry-After on ${int(over.withRetryAfter)}), ${int(served?.count ?? 0)}× 200 (p50 ${ms(served?.p50 ?? 0)} ms, p99 ${ms(served?.p99 ?? 0)} ms), max ${ms(r.login.overload.max)} ms, ${r.login.overload.timeouts} timeouts`
        : 'no refusal seen',
      met: overloadOk,
    },
    { name: 'kit, distinct tokens vs jwtVerify alone', goal: '≥ 0.90×', measured: `${distinct.toFixed(3)}×`, met: distinct >= 0.9 },
    { name: 'kit, repeated token vs unprotected route', goal: '≥ 0.70×', measured: `${repeated.toFixed(3)}×`, met: repeated >= 0.7 },
    {
      name: 'RSS under load (Postgres)',
      goal: `≤ the bare engine's under load and ≤ 200 MB (here ≤ ${rssLimit.toFixed(0)} MB)`,
      measured: `${r.memory.underLoadMb.toFixed(0)} MB`,
      met: r.memory.underLoadMb <= rssLimit,
    },
    { name: 'start to ready (Postgres, migrated)', goal: '≤ 1 s', measured: `${int(restart)} ms`, met: restart <= 1000 },
    { name: 'start to ready (embedded database, existing)', goal: '≤ 3 s', measured: `${int(embeddedRestart)} ms`, met: embeddedRestart <= 3000 },
  ];
}

export function renderResults(r: Results): string {
  const cc = r.clientCredentials;
  const lines: string[] = [];
  lines.push(
    `Run: ${r.machine.date} · ${r.machine.cpus} × ${r.machine.cpuModel} · Node ${r.machine.node} · ${r.machine.postgres}${r.machine.quick ? ' · **BENCH_QUICK (smoke run, not comparable)**' : ''}`,
  );
  lines.push(`Command: \`${r.machine.command}\``);
  lines.push('');
  lines.push('### Throughput and latency (the ratio is the headline; absolute numbers depend on this shared machine)');
  lines.push('');
  lines.push('| row | auth-connect (Postgres) | anchor, same run | ratio |');
  lines.push('|---|---|---|---|');
  lines.push(
    `| client_credentials, 16 conn | ${rate(cc.ours, 'tokens')} | bare oidc-provider: ${rate(cc.bare, 'tokens')} | **${ratio(cc.ours.rps, cc.bare.rps)}** |`,
  );
  if (r.wrk.measured) {
    const sum = (slices: { rps: number }[]) => slices.reduce((n, s) => n + s.rps, 0) / slices.length;
    const notOk = [...r.wrk.ours, ...r.wrk.bare].reduce((n, s) => n + s.notOk, 0);
    lines.push(
      `| client_credentials with wrk (1 thread, ${r.wrk.connections} conn, ${r.wrk.ours.length} × ${r.wrk.sliceSeconds} s slices alternated) | ${int(sum(r.wrk.ours))} tokens/s${notOk ? ` · ${int(notOk)} not 2xx or socket errors` : ''} | bare oidc-provider: ${int(sum(r.wrk.bare))} tokens/s | **${r.wrk.ratio.toFixed(2)}** |`,
    );
  } else lines.push(`| client_credentials with wrk | not measured: ${r.wrk.reason} | — | — |`);
  lines.push(
    `| refresh_token + rotation, 16 conn | ${rate(r.refresh.ours, 'grants')} | bare oidc-provider: ${rate(r.refresh.bare, 'grants')} | **${ratio(r.refresh.ours.rps, r.refresh.bare.rps)}** |`,
  );
  lines.push(
    `| authorization_code redemption, 16 conn | ${rate(r.codes.ours, 'codes')} (${int(r.codes.ours.ok)} codes) | bare oidc-provider: ${rate(r.codes.bare, 'codes')} | ${ratio(r.codes.ours.rps, r.codes.bare.rps)} |`,
  );
  const alone = r.postgresAlone;
  lines.push(
    `| refresh_token + rotation: its statements alone | ${int(alone.refresh.rps)} grants/s through pg, no HTTP (${int(alone.refresh.ok)} in ${alone.refresh.seconds.toFixed(0)} s) | auth-connect's refresh row above | **${ratio(r.refresh.ours.rps, alone.refresh.rps)}** |`,
  );
  lines.push(
    `| authorization_code: its statements alone | ${int(alone.codes.rps)} codes/s through pg, no HTTP (${int(alone.codes.ok)} in ${alone.codes.seconds.toFixed(0)} s) | auth-connect's code row above | ${ratio(r.codes.ours.rps, alone.codes.rps)} |`,
  );
  lines.push(
    `| password login (POST /api/auth/login), 16 conn | ${rate(r.login.ours, 'logins')} | argon2id verify alone (m=19456, t=2, p=1; 16 in flight): ${int(r.login.argon2.perSecond)} verifies/s · p50 ${ms(r.login.argon2.p50)} ms · p99 ${ms(r.login.argon2.p99)} ms | **${ratio(r.login.ours.rps, r.login.argon2.perSecond)}** |`,
  );
  const over = r.login.overload;
  const statusList = Object.entries(over.byStatus)
    .map(
      ([status, s]) =>
        `${status}: ${int(s.count)} (p50 ${ms(s.p50)} ms, p99 ${ms(s.p99)} ms, max ${ms(s.max)} ms${s.withRetryAfter ? `, Retry-After on ${int(s.withRetryAfter)}` : ''})`,
    )
    .join('; ');
  lines.push(
    `| login overload, ${r.login.overloadConnections} conn, ${over.seconds.toFixed(0)} s | ${statusList}; all answers p99 ${ms(over.p99)} ms; ${over.timeouts} timeouts, ${over.errors} errors | — | — |`,
  );
  lines.push(
    `| kit: protected route, distinct tokens | ${rate(r.kit.protectedDistinct, 'req')} | jose jwtVerify alone, distinct tokens: ${rate(r.kit.jwtVerifyDistinct, 'req')} | **${ratio(r.kit.protectedDistinct.rps, r.kit.jwtVerifyDistinct.rps)}** |`,
  );
  lines.push(
    `| kit: protected route, one token repeated | ${rate(r.kit.protectedRepeated, 'req')} | same route unprotected: ${rate(r.kit.unprotected, 'req')} | **${ratio(r.kit.protectedRepeated.rps, r.kit.unprotected.rps)}** |`,
  );
  lines.push(`| (kit context) jwtVerify alone, one token repeated | ${rate(r.kit.jwtVerifyRepeated, 'req')} | | |`);
  lines.push('');
  lines.push('### Memory, start-up, scale-out');
  lines.push('');
  lines.push('| what | measured |');
  lines.push('|---|---|');
  lines.push(`| RSS of the auth-connect process, idle after start | ${r.memory.idleMb.toFixed(0)} MB |`);
  lines.push(
    `| RSS under load (highest 200 ms sample over every auth-connect row) | **${r.memory.underLoadMb.toFixed(0)} MB** (peak VmHWM ${r.memory.peakMb.toFixed(0)} MB; idle again afterwards ${r.memory.afterLoadMb.toFixed(0)} MB) |`,
  );
  const spaces = Object.entries(r.memory.heapAtPeak)
    .filter(([, mb]) => mb >= 1)
    .map(([name, mb]) => `${name} ${mb.toFixed(0)}`)
    .join(', ');
  lines.push(`| V8 heap spaces committed then (MB) | ${spaces || 'n/a'} |`);
  lines.push(`| RSS of the bare anchor under client_credentials load | ${r.memory.bareUnderLoadMb.toFixed(0)} MB |`);
  lines.push(
    `| start to /readyz 200, ${r.startup.firstOnEmptyDatabase ? 'empty database (migrations + key generation)' : 'first start (DATABASE_URL given: not necessarily empty)'} | ${int(r.startup.firstMs)} ms |`,
  );
  lines.push(
    `| start to /readyz 200, migrated database (${r.startup.restartMs.length} restarts) | **median ${int(median(r.startup.restartMs))} ms** (${r.startup.restartMs.map(int).join(', ')} ms) |`,
  );
  const embedded = r.startup.embedded;
  lines.push(`| start to /readyz 200, embedded database, first start (creates it, migrates, makes keys) | ${int(embedded.firstMs)} ms |`);
  lines.push(`| RSS idle, embedded database (\`npm start\` with nothing set), a second after ready | ${embedded.idleMb.toFixed(0)} MB |`);
  lines.push(
    `| start to /readyz 200, embedded database (${embedded.restartMs.length} restarts) | **median ${int(median(embedded.restartMs))} ms** (${embedded.restartMs.map(int).join(', ')} ms) |`,
  );
  const two = r.scaleOut.two;
  const twoTotal = two.reduce((sum, x) => sum + x.rps, 0);
  lines.push(`| client_credentials, 1 process, 16 conn | ${int(r.scaleOut.one.rps)} tokens/s (p99 ${ms(r.scaleOut.one.p99)} ms) |`);
  lines.push(
    `| client_credentials, 2 processes on one Postgres, 8 conn each | ${two.map((x) => `${int(x.rps)}`).join(' + ')} = ${int(twoTotal)} tokens/s, per process ${int(twoTotal / two.length)} (p99 ${two.map((x) => ms(x.p99)).join(' / ')} ms) |`,
  );
  lines.push(
    `| client_credentials, WORKERS=1 vs WORKERS=2 (one server, node:cluster), 16 conn | ${int(r.workers.one.rps)} vs **${int(r.workers.two.rps)} tokens/s** (p99 ${ms(r.workers.one.p99)} / ${ms(r.workers.two.p99)} ms; the load generator shares the cores) |`,
  );
  lines.push('');
  lines.push('### Postgres cost per request (round trips, counted in the server process; one at a time)');
  lines.push('');
  lines.push('| request | round trips | of which writes | statements, in order |');
  lines.push('|---|---|---|---|');
  for (const trip of r.roundTrips) {
    const varied = new Set(trip.samples).size > 1 ? ` (samples ${trip.samples.join(', ')})` : '';
    lines.push(
      `| ${trip.grant} | ${trip.perRequest.toFixed(trip.perRequest % 1 ? 1 : 0)}${varied} | ${trip.writes.toFixed(trip.writes % 1 ? 1 : 0)} | ${trip.statements.map((s) => `\`${s.slice(0, 60).replace(/\|/g, '\\|')}\``).join('<br>')} |`,
    );
  }
  lines.push('');
  lines.push('### Targets');
  lines.push('');
  lines.push('| target | goal | measured | |');
  lines.push('|---|---|---|---|');
  for (const t of evaluateTargets(r)) lines.push(`| ${t.name} | ${t.goal} | ${t.measured} | ${t.met ? 'met' : '**missed**'} |`);
  return lines.join('\n');
}

const TEMPLATE = `# Benchmarks

Measured by \`npm run bench\`; see the sections below the results for the method and for the reasons behind each number.

${BEGIN}
${END}
`;

/** Replaces the generated section of BENCHMARKS.md (creating the file if needed), keeping everything outside the markers. */
export function writeBenchmarksFile(section: string): string {
  const file = path.join(packageRoot, 'BENCHMARKS.md');
  const current = existsSync(file) ? readFileSync(file, 'utf8') : TEMPLATE;
  const start = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  const base = start >= 0 && end > start ? current : `${current.trimEnd()}\n\n${BEGIN}\n${END}\n`;
  const s = base.indexOf(BEGIN);
  const e = base.indexOf(END);
  writeFileSync(file, `${base.slice(0, s + BEGIN.length)}\n${section}\n${base.slice(e)}`);
  return file;
}
