import type { Logger } from '../logger.js';

/**
 * Runs one start-up step between two log lines: what it is doing as it begins (a first start spends
 * seconds creating the embedded database, and silence there looks like a hang), then what it did with
 * its duration in `ms`.
 */
export async function timedStep<T>(log: Logger, doing: string, done: (result: T, seconds: string) => string, step: () => Promise<T>): Promise<T> {
  log.info(`${doing}…`);
  const started = performance.now();
  const result = await step();
  const ms = Math.round(performance.now() - started);
  log.info({ ms }, done(result, formatSeconds(ms)));
  return result;
}

export function formatSeconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
