import cluster, { type Worker } from 'node:cluster';
import { loadConfig } from '../config/load-config.js';
import type { RuntimeSettings } from '../config/types.js';
import { redactDatabaseUrl } from '../db/database-errors.js';
import { migrateToLatest } from '../db/migrations.js';
import { openDatabase } from '../db/open-database.js';
import { createLogger, type Logger } from '../logger.js';
import { formatSeconds, timedStep } from '../startup/timed-step.js';

/** Longer than a worker's own shutdown grace (SHUTDOWN_GRACE_MS, src/runtime/graceful-shutdown.ts), so workers finish their requests first. */
const STOP_GRACE_MS = 15_000;
/** A worker that ran this long before dying is not part of a crash loop: its replacement starts at once. */
const STABLE_AFTER_MS = 10_000;
const MAX_RESTART_DELAY_MS = 30_000;

/**
 * WORKERS=N on Postgres: makes this process the cluster primary, which brings the schema up to date once
 * before forking (knex runs pending migrations in one transaction that holds its lock row, so workers racing
 * to it would wait and then find nothing to do; migrating first keeps a failed migration to one report and
 * no workers), forks N workers that each run the whole server on the shared port, replaces a worker that dies (with a
 * doubling delay while they keep dying young, so a crash loop does not spin), and on SIGTERM/SIGINT passes
 * the signal on and exits once every worker has. Returns false when this process should serve itself: a
 * worker, WORKERS unset or 1, or the embedded database, which one process holds (said in one line).
 */
export async function runWorkersIfAsked(): Promise<boolean> {
  if (cluster.isWorker) return false;
  const config = loadConfig();
  const { runtime } = config;
  if (runtime.workers <= 1) return false;
  const log = createLogger(runtime.logLevel);
  if (!runtime.databaseUrl) {
    // not refused: WORKERS is a capacity setting, and a development checkout sharing an .env with
    // production should still start; the embedded database is one PGlite instance that one process opens
    log.warn(`WORKERS=${runtime.workers} ignored: the embedded database serves one process; set DATABASE_URL to Postgres to run ${runtime.workers} workers`);
    return false;
  }
  await prepareSchema(runtime, log);
  superviseWorkers(runtime, log);
  return true;
}

async function prepareSchema(runtime: RuntimeSettings, log: Logger): Promise<void> {
  const database = await timedStep(
    log,
    `primary ${process.pid}: connecting to Postgres at ${redactDatabaseUrl(runtime.databaseUrl ?? '')}`,
    (db, took) => `${db.description} ready in ${took}`,
    () => openDatabase(runtime, { role: 'server', poolSize: 1 }),
  );
  try {
    await timedStep(
      log,
      'bringing the database schema up to date before starting the workers',
      (applied, took) =>
        applied.length ? `applied ${applied.length} migration(s) in ${took}: ${applied.join(', ')}` : `database schema up to date (checked in ${took})`,
      () => migrateToLatest(database.knex),
    );
  } finally {
    await database.close();
  }
}

/**
 * How long to wait before replacing a worker, given how many in a row died young (within STABLE_AFTER_MS):
 * none for the first, then 1 s, 2 s, 4 s … up to 30 s, so a crash loop costs little while it lasts.
 */
export function restartDelayMs(youngDeathsInARow: number): number {
  return youngDeathsInARow <= 1 ? 0 : Math.min(1_000 * 2 ** (youngDeathsInARow - 2), MAX_RESTART_DELAY_MS);
}

function superviseWorkers(runtime: RuntimeSettings, log: Logger): void {
  const started = performance.now();
  const wanted = runtime.workers;
  const bornAt = new Map<Worker, number>();
  const restarts = new Set<NodeJS.Timeout>();
  let everListening = false;
  let youngDeaths = 0;
  let stopping = false;
  let stoppedBy: NodeJS.Signals | undefined;
  let exitCode = 0;

  const fork = () => bornAt.set(cluster.fork(), Date.now());
  log.info(`primary ${process.pid}: starting ${wanted} workers`);
  for (let i = 0; i < wanted; i++) fork();

  const listening = new Set<number>();
  cluster.on('listening', (worker, address) => {
    if (everListening || address.port === runtime.metricsPort) return;
    listening.add(worker.id);
    if (listening.size < wanted) return;
    everListening = true;
    const ms = Math.round(performance.now() - started);
    log.info(
      { port: address.port, workers: wanted, ms },
      `${wanted} workers listening on ${runtime.issuer} (port ${address.port}, Postgres), started in ${formatSeconds(ms)}`,
    );
  });

  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (bornAt.get(worker) ?? Date.now());
    bornAt.delete(worker);
    if (stopping) {
      // only how the last workers ended counts (one that died earlier was replaced); one still starting has
      // no handler yet and ends by the forwarded signal itself, which is a clean stop too
      if (code !== 0 && signal !== stoppedBy) exitCode = 1;
      if (bornAt.size === 0) process.exit(exitCode);
      return;
    }
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    if (!everListening) {
      // a worker that cannot start (bad configuration, port in use, no keys in production) said why on
      // stderr; its replacements would fail the same way, so stop rather than loop
      log.error(`worker ${worker.process.pid} stopped (${how}) before the workers were listening; stopping`);
      exitCode = 1;
      stop('SIGTERM');
      return;
    }
    youngDeaths = lived < STABLE_AFTER_MS ? youngDeaths + 1 : 0;
    const delay = restartDelayMs(youngDeaths);
    log.warn(
      { worker: worker.id, pid: worker.process.pid, code, signal, delayMs: delay },
      `worker ${worker.process.pid} died (${how}); starting a replacement${delay ? ` in ${formatSeconds(delay)}` : ''}`,
    );
    const timer = setTimeout(() => {
      restarts.delete(timer);
      if (!stopping) fork();
    }, delay);
    restarts.add(timer);
  });

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    stoppedBy = signal;
    for (const timer of restarts) clearTimeout(timer);
    log.info(`${signal}: stopping ${bornAt.size} worker(s)`);
    if (bornAt.size === 0) process.exit(exitCode);
    for (const worker of bornAt.keys()) worker.process.kill(signal);
    setTimeout(() => {
      log.warn(`workers still running after ${formatSeconds(STOP_GRACE_MS)}; killing them`);
      for (const worker of bornAt.keys()) worker.process.kill('SIGKILL');
      process.exit(1);
    }, STOP_GRACE_MS).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
