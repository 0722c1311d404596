import type { Logger } from '../logger.js';

/**
 * Work a request asked for, done after its answer is on its way: for requests whose answer must not depend
 * on the work (forgot-password answers the same, at the same speed, for every address). A failure is
 * logged, since the caller was only told "accepted".
 */
export function afterAnswer(log: Logger, what: string, work: () => Promise<void>): void {
  setImmediate(() => work().catch((error) => log.error({ err: error }, `${what} failed after it was answered`)));
}
