import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { untilReady } from './processes.js';

/**
 * Debian's Python, which sees the Debian packages python3-fastapi, python3-uvicorn and python3-jwt (a
 * `python3` earlier on PATH, e.g. pyenv's, does not). PYTHON overrides it.
 */
export const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';

/** Environment for Debian's Python: nothing from the developer's shell (PYTHONPATH, a virtualenv) leaks in. */
function pythonEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: '/usr/bin:/bin', HOME: process.env.HOME, PYTHONDONTWRITEBYTECODE: '1', PYTHONNOUSERSITE: '1', PYTHONUNBUFFERED: '1', ...env };
}

/**
 * Call first in a suite that runs the FastAPI example: without Python and the three packages the suite fails
 * in CI (CI=true, where .ci/run installs them) and is skipped with a reason elsewhere, as the browser suites do.
 */
export function requireFastApi(context: Mocha.Context): void {
  const probe = spawnSync(PYTHON, ['-c', 'import fastapi, uvicorn, jwt, cryptography'], { env: pythonEnv({}), encoding: 'utf8', timeout: 30_000 });
  if (probe.status === 0) return;
  const detail = probe.error ? probe.error.message : (probe.stderr.trim().split('\n').pop() ?? `exit ${probe.status}`);
  const reason = `${PYTHON} cannot import fastapi, uvicorn and jwt (${detail}); install the Debian packages python3-fastapi python3-uvicorn python3-jwt, or set PYTHON`;
  if (process.env.CI === 'true') throw new Error(`${reason}; the FastAPI example must be tested in CI`);
  console.warn(`    skipping the FastAPI example: ${reason}`);
  context.skip();
}

export interface RunningUvicorn {
  url: string;
  output(): string;
  stop(): Promise<number | null>;
}

/** `python3 -m uvicorn app:app` from `cwd` on the given loopback port; resolves when uvicorn says it is running. */
export async function startUvicorn(cwd: string, app: string, port: number, env: Record<string, string>, timeoutMs = 30_000): Promise<RunningUvicorn> {
  const child: ChildProcess = spawn(PYTHON, ['-m', 'uvicorn', app, '--host', '127.0.0.1', '--port', String(port), '--no-access-log'], {
    cwd,
    env: pythonEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ready = await untilReady(child, /Uvicorn running on/, { name: 'uvicorn', state: 'running' }, timeoutMs);
  return { url: `http://127.0.0.1:${port}`, output: ready.output, stop: () => ready.stop() };
}
