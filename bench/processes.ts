import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { packageRoot } from '../src/paths.js';
import { npmStart } from '../test/helpers/processes.js';

/** The server as `npm start` runs it; BENCH_SERVER_ENTRY measures another build instead (e.g. a baseline checkout's dist). */
export const SERVER_ENTRY = process.env.BENCH_SERVER_ENTRY ?? path.join(packageRoot, 'dist', 'src', 'main.js');

export interface BenchProcess {
  name: string;
  url: string;
  port: number;
  child: ChildProcess;
  /** Milliseconds from spawn() to the first 200 on the readiness path. */
  readyMs: number;
  /** Resident set size now, MB (Linux /proc). */
  rssMb(): number | undefined;
  /** Peak resident set size since start, MB (VmHWM). */
  peakRssMb(): number | undefined;
  output(): string;
  stop(): Promise<void>;
}

/** How `npm start` runs the server, with the script the bench measures (SERVER_ENTRY). */
export function startScript(): { nodeArgs: string[]; env: Record<string, string>; script: string } {
  return { ...npmStart(), script: SERVER_ENTRY };
}

export { freePort } from '../test/helpers/auth-server.js';

/**
 * Starts `node script` with exactly `env` (plus PATH and HOME) and waits until GET readyPath answers 200,
 * polling every 10 ms; the time that took is the process's start-to-ready time.
 */
export async function startProcess(
  name: string,
  script: string,
  port: number,
  env: Record<string, string>,
  readyPath: string,
  nodeArgs: string[] = [],
  timeoutMs = 30_000,
): Promise<BenchProcess> {
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, script], {
    cwd: packageRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  let readyMs: number | undefined;
  while (readyMs === undefined) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} before it was ready:\n${output}`);
    if (performance.now() - started > timeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`${name} was not ready within ${timeoutMs} ms:\n${output}`);
    }
    try {
      const response = await fetch(url + readyPath, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.status === 200) readyMs = performance.now() - started;
    } catch {
      // not listening yet
    }
    if (readyMs === undefined) await sleep(10);
  }

  const status = (field: string) => {
    try {
      const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      return match ? Number(match[1]) / 1024 : undefined;
    } catch {
      return undefined;
    }
  };
  return {
    name,
    url,
    port,
    child,
    readyMs,
    rssMb: () => status('VmRSS'),
    peakRssMb: () => status('VmHWM'),
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Samples a process's RSS every `intervalMs` while `during` runs; returns its result and the highest sample. */
export async function sampleRss<T>(processes: BenchProcess[], during: () => Promise<T>, intervalMs = 200): Promise<{ result: T; maxRssMb: number[] }> {
  const max = processes.map(() => 0);
  const timer = setInterval(() => {
    processes.forEach((p, i) => {
      const rss = p.rssMb();
      if (rss !== undefined && rss > max[i]!) max[i] = rss;
    });
  }, intervalMs);
  try {
    const result = await during();
    return { result, maxRssMb: max };
  } finally {
    clearInterval(timer);
  }
}
