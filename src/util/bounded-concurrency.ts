import { AuthConnectError } from '../errors.js';

/** Thrown when more work is waiting than the bound allows; answered as 503 with Retry-After. */
export class OverloadedError extends AuthConnectError {
  readonly retryAfterSeconds: number;
  constructor(what: string, retryAfterSeconds = 1) {
    super('SERVER_BUSY', `too many ${what} in progress; try again shortly`, { headers: { 'Retry-After': String(retryAfterSeconds) } });
    this.name = 'OverloadedError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * Runs at most `concurrency` tasks at once and lets at most `maxQueued` wait; beyond that a call fails
 * at once with OverloadedError, so overload gives fast refusals instead of unbounded latency.
 * `assertRoom()` throws the same error when a call now would be refused, so a request can be turned away
 * before it spends anything else (database reads) on work that could not run.
 */
export function boundedConcurrency(what: string, concurrency: number, maxQueued: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  const full = () => running >= concurrency && waiting.length >= maxQueued;

  const release = () => {
    running--;
    const next = waiting.shift();
    if (next) {
      running++;
      next();
    }
  };

  async function run<T>(task: () => Promise<T>): Promise<T> {
    if (running >= concurrency) {
      if (full()) throw new OverloadedError(what);
      await new Promise<void>((resolve) => waiting.push(resolve));
    } else {
      running++;
    }
    try {
      return await task();
    } finally {
      release();
    }
  }

  return Object.assign(run, {
    assertRoom(): void {
      if (full()) throw new OverloadedError(what);
    },
  });
}
