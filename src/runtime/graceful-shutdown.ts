import type { Server } from 'node:http';
import { ConfigError } from '../errors.js';
import type { Draining } from '../http/draining.js';

export interface ShutdownSettings {
  /** How long the instance keeps serving after SIGTERM, /readyz already 503, so a balancer takes it out first. */
  drainMs: number;
  /** Then, how long requests still open may take before their connections are cut. */
  graceMs: number;
}

const PRODUCTION_DRAIN_SECONDS = 5;
const MAX_DRAIN_SECONDS = 300;
export const SHUTDOWN_GRACE_MS = 10_000;

/**
 * SHUTDOWN_DRAIN_SECONDS: 5 in production (a balancer checking /readyz every 1-2 s, failing after 2 misses,
 * has taken the instance out by then); 0 elsewhere, where nothing balances and Ctrl-C should be instant.
 */
export function readShutdownSettings(env: NodeJS.ProcessEnv): ShutdownSettings {
  const raw = env.SHUTDOWN_DRAIN_SECONDS?.trim();
  let drainSeconds = env.NODE_ENV === 'production' ? PRODUCTION_DRAIN_SECONDS : 0;
  if (raw) {
    drainSeconds = Number(raw);
    if (!Number.isFinite(drainSeconds) || drainSeconds < 0 || drainSeconds > MAX_DRAIN_SECONDS) {
      throw new ConfigError(`SHUTDOWN_DRAIN_SECONDS=${raw}: must be a number of seconds from 0 to ${MAX_DRAIN_SECONDS}`);
    }
  }
  return { drainMs: Math.round(drainSeconds * 1000), graceMs: SHUTDOWN_GRACE_MS };
}

export interface GracefulShutdown {
  server: Server;
  draining: Draining;
  settings: ShutdownSettings;
  log: { info(message: string): void; warn(message: string): void };
  /** Last: stop background work, close the database. */
  release: () => Promise<void>;
  exit?: (code: number) => void;
}

/**
 * The signal handler: drain (still serving, /readyz 503, `Connection: close` on every answer), then stop
 * accepting and let open requests finish within the grace period, then release and exit 0. A second
 * signal while draining skips the rest of the drain: whoever sends it wants out now.
 */
export function gracefulShutdown({ server, draining, settings, log, release, exit = (code) => process.exit(code) }: GracefulShutdown) {
  let hurry: (() => void) | undefined;
  return (signal: NodeJS.Signals): Promise<void> | undefined => {
    if (draining.active) {
      hurry?.();
      return undefined;
    }
    draining.begin();
    log.info(settings.drainMs ? `${signal}: draining for ${settings.drainMs} ms (/readyz answers 503), then shutting down` : `${signal}: shutting down`);
    return new Promise<void>((drained) => {
      const timer = setTimeout(drained, settings.drainMs);
      hurry = () => {
        clearTimeout(timer);
        drained();
      };
    })
      .then(() => closeServer(server, settings.graceMs, log))
      .then(release)
      .catch((error: unknown) => log.warn(`shutting down: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => exit(0));
  };
}

function closeServer(server: Server, graceMs: number, log: GracefulShutdown['log']): Promise<void> {
  return new Promise((closed) => {
    const force = setTimeout(() => {
      log.warn('requests still open after the grace period; closing them');
      server.closeAllConnections();
    }, graceMs);
    // keep-alive connections with no request under way would hold close() open: those idle now, and those
    // whose answer goes out later without Connection: close (headers sent before the drain began)
    const idle = setInterval(() => server.closeIdleConnections(), 100);
    for (const timer of [force, idle]) timer.unref();
    server.close(() => {
      clearTimeout(force);
      clearInterval(idle);
      closed();
    });
    server.closeIdleConnections();
  });
}
