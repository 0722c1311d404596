import autocannon from 'autocannon';
import { makeFeed, type FeedHooks, type RequestData } from './feeds.js';
import type { LoadSpec } from './spec.js';
import type { RawRun } from './summary.js';

/**
 * The load generator, in its own process (forked by run-load.ts). It is told one LoadSpec, then runs slices
 * of it on command — warm-up (thrown away) and measured ones — with autocannon, keeping the feed (refresh
 * tokens, codes, signed tokens) between slices, so one load can be interleaved with another's. Latencies
 * are autocannon's per-response times (hrtime from writing the request to the end of the answer).
 */

export type RunnerCommand =
  | { type: 'init'; spec: LoadSpec }
  | { type: 'run'; phase: 'warmup' | 'measure'; seconds?: number; amount?: number }
  | { type: 'exit' };

let spec: LoadSpec | undefined;
let hooks: FeedHooks | undefined;
let measuring = false;

function runSlice(seconds: number | undefined, amount: number | undefined): Promise<RawRun> {
  const load = spec!;
  const run: RawRun = { latencies: [], statuses: [], retryAfter: {}, errors: 0, timeouts: 0, seconds: 0, feedExhausted: 0 };
  const url = new URL(load.path, load.origin);
  const exhaustedBefore = hooks?.exhausted() ?? 0;
  const onResponse = (status: number, body: string, _context: unknown, headers: Record<string, unknown>) => {
    hooks?.onResponse(status, body);
    if (Object.keys(headers).some((name) => name.toLowerCase() === 'retry-after')) run.retryAfter[status] = (run.retryAfter[status] ?? 0) + 1;
  };
  const request = {
    method: load.method ?? 'GET',
    path: url.pathname + url.search,
    headers: load.headers ?? {},
    ...(load.body !== undefined ? { body: load.body } : {}),
    onResponse,
    ...(hooks ? { setupRequest: (r: Record<string, unknown>) => hooks!.setupRequest(r as RequestData) } : {}),
  };
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: url.toString(),
        connections: amount ? Math.min(load.connections, amount) : load.connections,
        pipelining: 1,
        timeout: load.timeoutSeconds ?? 10,
        ...(amount ? { amount } : { duration: seconds ?? 1 }),
        requests: [request as never],
      },
      (error) => {
        if (error) return reject(error);
        run.seconds = (performance.now() - started) / 1000;
        run.feedExhausted = (hooks?.exhausted() ?? 0) - exhaustedBefore;
        resolve(run);
      },
    );
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      run.latencies.push(responseTime);
      run.statuses.push(statusCode);
    });
    instance.on('reqError', () => run.errors++);
    instance.on('timeout' as never, () => run.timeouts++);
  });
}

process.on('message', (command: RunnerCommand) => {
  const reply = (message: unknown) => process.send!(message);
  (async () => {
    switch (command.type) {
      case 'init':
        spec = command.spec;
        hooks = spec.feed ? await makeFeed(spec.feed) : undefined;
        return { ready: true };
      case 'run':
        if (command.phase === 'measure' && !measuring) {
          measuring = true;
          hooks?.startMeasurement();
        }
        return { run: await runSlice(command.seconds, command.amount) };
      case 'exit':
        process.exit(0);
    }
  })().then(reply, (error: Error) => reply({ error: error.stack ?? String(error) }));
});
