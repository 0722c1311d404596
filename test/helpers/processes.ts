import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../src/paths.js';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const cliPath = path.join(packageRoot, 'dist', 'src', 'cli', 'main.js');
const serverPath = path.join(packageRoot, 'dist', 'src', 'main.js');
/** The flags the CLI's `#!` line gives node (see src/cli/main.ts): the tests run the CLI as `npx auth-connect` does. */
const CLI_NODE_FLAGS = ['--liftoff-only'];

/** Environment for spawned processes (and in-process CLI runs): ours wins, and nothing leaks in from the developer's shell. */
export function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn' };
  return { ...base, ...env };
}

/** Runs `auth-connect ...args` as a user would, from the package root. */
export function runCli(args: string[], env: Record<string, string | undefined> = {}, stdin?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...CLI_NODE_FLAGS, cliPath, ...args], { cwd: packageRoot, env: childEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

/**
 * How `npm start` runs the server: the environment assignments and node flags of package.json's start script
 * (e.g. "MALLOC_ARENA_MAX=1 node --liftoff-only dist/src/main.js"), so that spawned servers run as they ship.
 */
export function npmStart(): { nodeArgs: string[]; env: Record<string, string> } {
  const manifest = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  const tokens = (manifest.scripts?.start ?? '').trim().split(/\s+/);
  const env: Record<string, string> = {};
  while (tokens[0] && /^[A-Za-z_][A-Za-z0-9_]*=/.test(tokens[0])) {
    const [name, ...value] = tokens.shift()!.split('=');
    env[name!] = value.join('=');
  }
  const nodeArgs: string[] = [];
  if (tokens.shift() === 'node') while (tokens[0]?.startsWith('-')) nodeArgs.push(tokens.shift()!);
  return { nodeArgs, env };
}

/** A server under test, in its own process (RunningServer) or in this one (in-process-server.ts). */
export interface ServerHandle {
  url: string;
  port: number;
  /** Everything it logged so far. */
  output(): string;
  /** Stops it as SIGTERM does; resolves with its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface RunningServer extends ServerHandle {
  process: ChildProcess;
}

/** Starts the server as `npm start` does (its node flags and environment) on a free port and waits for its "listening" log line; `user` runs it as another user (needs root). */
export async function startServer(env: Record<string, string | undefined>, timeoutMs = 30_000, user?: { uid: number; gid: number }): Promise<RunningServer> {
  const shipped = npmStart();
  const child = spawn(process.execPath, [...shipped.nodeArgs, serverPath], {
    cwd: packageRoot,
    env: childEnv({ ...shipped.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
    ...user,
  });
  const ready = await untilReady(child, /"port":(\d+)[^\n]*listening on/, { name: 'server', state: 'listening' }, timeoutMs);
  const port = Number(ready.match[1]);
  return { url: `http://127.0.0.1:${port}`, port, process: child, output: ready.output, stop: ready.stop };
}

export interface ReadyProcess {
  match: RegExpExecArray;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Waits until a child process prints a line matching `ready` (stdout or stderr). It fails, killing the child,
 * after `timeoutMs` ("<name> did not start within …") or when the child exits first ("<name> exited with N
 * before <state>"), with everything it printed.
 */
export function untilReady(child: ChildProcess, ready: RegExp, what: { name: string; state: string }, timeoutMs: number): Promise<ReadyProcess> {
  return new Promise((resolve, reject) => {
    let output = '';
    let settled = false;
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    const timer = setTimeout(() => fail(new Error(`${what.name} did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (data: Buffer) => {
      output += data.toString();
      const match = settled ? null : ready.exec(output);
      if (!match) return;
      settled = true;
      clearTimeout(timer);
      resolve({
        match,
        output: () => output,
        stop: async (signal = 'SIGTERM') => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('error', fail);
    child.on('exit', (code) => fail(new Error(`${what.name} exited with ${code} before ${what.state}:\n${output}`)));
  });
}
