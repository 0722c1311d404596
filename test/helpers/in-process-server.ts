import { loadConfig } from '../../src/config/load-config.js';
import { startServer as startServerHere } from '../../src/runtime/start-server.js';
import type { ServerHandle } from './processes.js';

/**
 * The server `npm start` runs, started inside the test process (src/runtime/start-server.ts) with the
 * environment a spawned one would get, its log lines kept in memory for output(). It saves a Node start, the
 * module loading and V8's compile work at exit per server; tests whose subject is the process itself (start-up
 * lines on a terminal, exit codes, signals, workers) spawn one with startServer in processes.ts instead.
 */
export async function startServerInProcess(env: Record<string, string | undefined>): Promise<ServerHandle> {
  const fullEnv = { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env };
  let output = '';
  let exitCode: number | null = null;
  const running = await startServerHere({
    config: loadConfig(fullEnv),
    env: fullEnv,
    logDestination: {
      write: (line: string) => {
        output += line;
      },
    },
    exit: (code) => {
      exitCode = code;
    },
  });
  const url = `http://127.0.0.1:${running.port}`;
  let stopped: Promise<number | null> | undefined;
  return {
    url,
    port: running.port,
    output: () => output,
    stop: (signal = 'SIGTERM') => {
      stopped ??= Promise.resolve(running.shutdown(signal)).then(() => exitCode);
      return stopped;
    },
  };
}
