import { loadConfig } from '../config/load-config.js';
import { describeFailure } from '../describe-failure.js';
import { startServer } from './start-server.js';
import { runWorkersIfAsked } from './workers.js';

/** `npm start`'s process (loaded by src/main.ts): the server (src/runtime/start-server.ts), plus what belongs to the process: signal handlers and exit. */
async function main(): Promise<void> {
  const startedAt = performance.now();
  const { log, shutdown } = await startServer({ config: loadConfig(), env: process.env, startedAt });
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled rejection'));
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

// WORKERS on Postgres: this process becomes the primary that forks workers (src/runtime/workers.ts), each running main()
runWorkersIfAsked()
  .then((primary) => (primary ? undefined : main()))
  .catch((error) => {
    process.stderr.write(`auth-connect: ${describeFailure(error)}\n`);
    process.exit(1);
  });
