import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import knexFactory from 'knex';
import { queryCounterClient, queryCounterEnv } from '../test/helpers/query-counter.js';
import { benchDatabase, benchDirs, seed } from './environment.js';
import { freePort, sampleRss, SERVER_ENTRY, startProcess, startScript, type BenchProcess } from './processes.js';
import { renderResults, writeBenchmarksFile } from './report.js';
import type { Results } from './results.js';
import type { LoadResult } from './load/spec.js';
import type { BenchContext } from './scenarios/context.js';
import { kit } from './scenarios/kit.js';
import { login } from './scenarios/login.js';
import { postgresAlone } from './scenarios/postgres-alone.js';
import { roundTrips } from './scenarios/round-trips.js';
import { scaleOut } from './scenarios/scale-out.js';
import { startup } from './scenarios/startup.js';
import { workers } from './scenarios/workers.js';
import { clientCredentials, codes, refresh } from './scenarios/token-grants.js';
import { wrkCrossCheck } from './scenarios/wrk-cross-check.js';
import { settings } from './settings.js';

/**
 * `npm run bench`: auth-connect on Postgres and its anchors, each server in its own process, the load
 * generator (autocannon) in another, every row with a fixed warm-up and duration, all in one run so the
 * ratios compare like with like. Prints the results; `--write` (or BENCH_WRITE=1) also puts them in BENCHMARKS.md.
 */

const BARE_SERVER = fileURLToPath(new URL('./anchor/bare-server.js', import.meta.url));
const JWT_SECRET = 'bench-secret-that-is-long-enough-for-auth-connect-0123456789';

const started = performance.now();
const log = (message: string) => process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${message}\n`);

async function main(): Promise<void> {
  const database = await benchDatabase();
  const dirs = benchDirs();
  const processes: BenchProcess[] = [];
  log(`database ${database.created ? 'created' : 'given'}: ${new URL(database.url).pathname.slice(1)}; config, keys and data in ${dirs.root}`);
  try {
    const issuerPort = await freePort();
    const ourEnv = (name: string, port: number): Record<string, string> => ({
      DATABASE_URL: database.url,
      CONFIG_DIR: dirs.configDir,
      KEYS_DIR: dirs.keysDir,
      DATA_DIR: dirs.dataDir(name),
      JWT_SECRET,
      PORT: String(port),
      HOST: '127.0.0.1',
      ISSUER: `http://127.0.0.1:${issuerPort}`,
      LOG_LEVEL: 'warn',
    });
    const shipped = startScript();
    if (shipped.nodeArgs.length || Object.keys(shipped.env).length)
      log(
        `as npm start runs it: ${Object.entries(shipped.env)
          .map(([k, v]) => `${k}=${v} `)
          .join('')}node ${shipped.nodeArgs.join(' ')}`,
      );
    const startOurs = async (name: string, extra: Record<string, string> = {}, port?: number) => {
      const p = port ?? (await freePort());
      return startProcess(`auth-connect ${name}`, SERVER_ENTRY, p, { ...shipped.env, ...ourEnv(name, p), ...extra }, '/readyz', shipped.nodeArgs);
    };

    const rows = process.env.BENCH_ONLY ?? (settings.smoke ? SMOKE_ROWS : undefined);
    const only = rows ? new Set(rows.split(',').map((x) => x.trim())) : undefined;
    const want = (row: string) => !only || only.has(row);
    // BENCH_PROFILE=<dir>: CPU profiles of the auth-connect and kit processes (node --cpu-prof), for the analysis
    const profile = process.env.BENCH_PROFILE ? { NODE_CPU_PROF: process.env.BENCH_PROFILE } : {};

    const startupResult = want('startup')
      ? {
          ...(await startup(() => startOurs('a', {}, issuerPort), log)),
          firstOnEmptyDatabase: database.created,
          // npm start with nothing set: the embedded database in its own DATA_DIR (created by the first start)
          embedded: await startup(() => startOurs('embedded', { DATABASE_URL: '' }), log),
        }
      : undefined;

    const counterPort = await freePort();
    // BENCH_SERVER_NODE_OPTIONS: extra node flags for the measured auth-connect process (experiments only)
    const nodeOptions = [queryCounterEnv(counterPort).NODE_OPTIONS!, process.env.BENCH_SERVER_NODE_OPTIONS ?? ''].filter(Boolean).join(' ');
    // BENCH_SERVER_ENV="KEY=value KEY2=value": extra environment for it (experiments only, e.g. MALLOC_ARENA_MAX=2)
    const extraEnv = Object.fromEntries(
      (process.env.BENCH_SERVER_ENV ?? '')
        .split(/\s+/)
        .filter((pair) => pair.includes('='))
        .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
    );
    const ours = await startOurs('a', { ...extraEnv, ...queryCounterEnv(counterPort), ...withProfile(nodeOptions, profile) }, issuerPort);
    processes.push(ours);
    log('seeding users and clients, starting the anchor');
    const barePort = await freePort();
    // the anchor starts while the seeding runs: neither needs the other (both settle before either failure is
    // thrown, so a started anchor is in `processes` and stopped)
    const [seeding, starting] = await Promise.allSettled([
      seed(database.url, dirs.configDir),
      startProcess('bare oidc-provider', BARE_SERVER, barePort, { PORT: String(barePort), ...withProfile('', profile) }, '/bench/ready').then((started) => {
        processes.push(started);
        return started;
      }),
    ]);
    if (seeding.status === 'rejected') throw seeding.reason;
    if (starting.status === 'rejected') throw starting.reason;
    const seeded = seeding.value;
    const bare = starting.value;
    // idle memory after a settling second; a smoke run reports no memory, so it does not wait
    if (!settings.smoke) await sleep(1000);
    const idleMb = ours.rssMb() ?? 0;

    let underLoadMb = 0;
    let heapAtPeak: Record<string, number> = {};
    const ctx: BenchContext = {
      ours,
      bare,
      seeded,
      databaseUrl: database.url,
      configDir: dirs.configDir,
      counterPort,
      log,
      async underLoad(during) {
        const { result, maxRssMb } = await sampleRss([ours], during);
        const { memory, heapSpaces } = await queryCounterClient(counterPort).read();
        if (maxRssMb[0]! > underLoadMb)
          heapAtPeak = Object.fromEntries(Object.entries(heapSpaces ?? {}).map(([name, space]) => [name.replace('_space', ''), space.size / 1_048_576]));
        underLoadMb = Math.max(underLoadMb, maxRssMb[0]!);
        const mb = (bytes = 0) => (bytes / 1_048_576).toFixed(0);
        log(
          `  auth-connect RSS: at most ${maxRssMb[0]!.toFixed(0)} MB during this row; now rss ${mb(memory?.rss)}, V8 heap ${mb(memory?.heapUsed)} used of ${mb(memory?.heapTotal)}, external ${mb(memory?.external)} MB; V8 spaces (committed MB) ${Object.entries(
            heapSpaces ?? {},
          )
            .filter(([, space]) => space.size > 1_048_576)
            .map(([name, space]) => `${name.replace('_space', '')} ${mb(space.size)}`)
            .join(', ')}`,
        );
        return result;
      },
      async startAnother(name, env = {}) {
        const another = await startOurs(name, env);
        processes.push(another);
        return another;
      },
    };

    let bareUnderLoadMb = 0;
    const cc = want('cc')
      ? await sampleRss([bare], () => clientCredentials(ctx)).then(({ result, maxRssMb }) => {
          bareUnderLoadMb = maxRssMb[0]!;
          return result;
        })
      : undefined;
    const wrk = want('wrk') ? await wrkCrossCheck(ctx) : undefined;
    const refreshResult = want('refresh') ? await refresh(ctx) : undefined;
    const codeResult = want('codes') ? await codes(ctx) : undefined;
    const aloneResult = want('alone') ? await postgresAlone(ctx) : undefined;
    const loginResult = want('login') ? await login(ctx) : undefined;
    const scale = want('scale') && cc ? await scaleOut(ctx, cc.ours) : undefined;
    const workersResult = want('workers') ? await workers(ctx) : undefined;
    const trips = want('trips') ? await roundTrips(ctx) : undefined;
    if (!settings.smoke) await sleep(2000);
    const afterLoadMb = ours.rssMb() ?? 0;
    const peakMb = ours.peakRssMb() ?? 0;
    const kitResult = want('kit') ? await kit(ctx, profile) : undefined;

    const partial = {
      startup: startupResult,
      clientCredentials: cc,
      wrk,
      refresh: refreshResult,
      codes: codeResult,
      postgresAlone: aloneResult,
      login: loginResult,
      kit: kitResult,
      scaleOut: scale,
      workers: workersResult,
      memory: { idleMb, underLoadMb, afterLoadMb, peakMb, bareUnderLoadMb, heapAtPeak },
      roundTrips: trips,
    };
    if (settings.smoke) {
      const failures = smokeFailures(partial);
      log(failures.length ? `smoke run failed:\n  ${failures.join('\n  ')}` : 'smoke run: every row answered without errors');
      if (failures.length) process.exitCode = 1;
      return;
    }
    if (Object.values(partial).some((value) => value === undefined)) {
      // a partial run (BENCH_ONLY): the raw numbers, no table
      process.stdout.write(
        `${JSON.stringify(partial, (key, value: unknown) => (key === 'byStatus' || key === 'statements' ? undefined : typeof value === 'number' ? Math.round(value * 1000) / 1000 : value), 2)}\n`,
      );
      return;
    }
    const results: Results = {
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model.trim() ?? 'unknown CPU',
        node: process.version,
        postgres: await postgresVersion(database.url),
        date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
        quick: settings.quick,
        command: `npm run bench${settings.write ? ' -- --write' : ''}`,
      },
      ...(partial as Omit<Results, 'machine'>),
    };
    const section = renderResults(results);
    process.stdout.write(`\n${section}\n\n`);
    if (settings.write) log(`wrote ${writeBenchmarksFile(section)}`);
    log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    await Promise.all(processes.map((p) => p.stop().catch(() => {})));
    await database.drop().catch((error: Error) => log(`could not drop the bench database: ${error.message}`));
    dirs.remove();
  }
}

/** What CI's smoke run exercises: every token grant against both servers and the Postgres-alone row (the round trips are counted by test/round-trips.test.ts). */
const SMOKE_ROWS = 'cc,refresh,codes,alone';

/** Rows of a smoke run that met errors: connection errors, timeouts, answers other than 2xx, or a feed that ran dry. */
function smokeFailures(partial: Record<string, unknown>): string[] {
  const failures: string[] = [];
  const visit = (value: unknown) => {
    if (!value || typeof value !== 'object') return;
    const load = value as Partial<LoadResult>;
    if (typeof load.label === 'string' && typeof load.total === 'number' && typeof load.ok === 'number') {
      const problems = [
        load.ok === 0 && 'nothing answered 2xx',
        load.total - load.ok > 0 && `${load.total - load.ok} answers not 2xx (${Object.keys(load.byStatus ?? {}).join(', ')})`,
        (load.errors ?? 0) + (load.timeouts ?? 0) > 0 && `${load.errors} errors, ${load.timeouts} timeouts`,
        (load.feedExhausted ?? 0) > 0 && `the feed ran dry ${load.feedExhausted}×`,
      ].filter(Boolean);
      if (problems.length) failures.push(`${load.label}: ${problems.join('; ')}`);
      return;
    }
    for (const inner of Object.values(value)) visit(inner);
  };
  visit(partial);
  return failures;
}

/** NODE_OPTIONS for a child, with --cpu-prof into BENCH_PROFILE's directory when asked. */
function withProfile(nodeOptions: string, profile: { NODE_CPU_PROF?: string }): Record<string, string> {
  const options = [nodeOptions, profile.NODE_CPU_PROF ? `--cpu-prof --cpu-prof-dir=${profile.NODE_CPU_PROF}` : ''].filter(Boolean).join(' ');
  return options ? { NODE_OPTIONS: options } : {};
}

async function postgresVersion(url: string): Promise<string> {
  const knex = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
  try {
    const { rows } = await knex.raw<{ rows: { version: string }[] }>('show server_version');
    return `Postgres ${(rows[0] as unknown as { server_version: string }).server_version}`;
  } catch {
    return 'Postgres';
  } finally {
    await knex.destroy();
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`bench failed: ${error.stack ?? error}\n`);
    process.exit(1);
  },
);
