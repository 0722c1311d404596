import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './auth-server.js';

/** The HAProxy binary, or undefined when it is not installed (Debian package `haproxy`; .ci/run installs it). */
export function haproxyBinary(): string | undefined {
  for (const candidate of ['haproxy', '/usr/sbin/haproxy']) {
    if (spawnSync(candidate, ['-v'], { stdio: 'ignore' }).status === 0) return candidate;
  }
  return undefined;
}

export interface Backend {
  name: string;
  port: number;
}

export interface RunningHaproxy {
  url: string;
  /** UP, DOWN, … per server name, from the stats page (what HAProxy currently routes to). */
  states(): Promise<Record<string, string>>;
  untilState(server: string, state: 'UP' | 'DOWN', timeoutMs?: number): Promise<void>;
  /** The backend's retries and redispatches so far: requests HAProxy sent again, to the same or another server. */
  retried(): Promise<{ retries: number; redispatches: number }>;
  output(): string;
  stop(): Promise<void>;
}

/**
 * The deployment the README describes: /readyz health checks (fast here, so a test sees changes within a
 * second), retries only of what never reached a server's application or got no answer, each retry on
 * another server, and a 503 with Retry-After of its own when no server is ready.
 */
export function haproxyConfig(frontendPort: number, statsPort: number, backends: Backend[]): string {
  return `global
  maxconn 512

defaults
  mode http
  timeout connect 1s
  timeout client 15s
  timeout server 15s
  timeout check 1s
  retries 3
  option redispatch 1
  retry-on conn-failure empty-response response-timeout
  http-error status 503 content-type application/json string "{\\"error\\":\\"temporarily_unavailable\\",\\"error_description\\":\\"no instance is ready\\"}" hdr Retry-After 2

frontend auth
  bind 127.0.0.1:${frontendPort}
  default_backend instances

backend instances
  balance roundrobin
  option httpchk
  http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host 127.0.0.1
  http-check expect status 200
  default-server inter 200ms fall 1 rise 2
${backends.map((b) => `  server ${b.name} 127.0.0.1:${b.port} check`).join('\n')}

listen stats
  bind 127.0.0.1:${statsPort}
  stats enable
  stats uri /stats
`;
}

/** Starts HAProxy on `port` (a free one by default) in front of `backends`, and waits until its stats page answers. */
export async function startHaproxy(binary: string, backends: Backend[], port?: number): Promise<RunningHaproxy> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ac-haproxy-'));
  port ??= await freePort();
  const statsPort = await freePort();
  const file = path.join(dir, 'haproxy.cfg');
  writeFileSync(file, haproxyConfig(port, statsPort, backends));
  const child: ChildProcess = spawn(binary, ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));

  /** The stats page's rows of the backend, by server name (BACKEND: its totals), each column by name. */
  const stats = async () => {
    const csv = await (await fetch(`http://127.0.0.1:${statsPort}/stats;csv`)).text();
    const [header, ...rows] = csv.trim().split('\n');
    const columns = header!.replace(/^# /, '').split(',');
    const result: Record<string, Record<string, string>> = {};
    for (const row of rows.map((line) => line.split(','))) {
      const named = Object.fromEntries(columns.map((column, i) => [column, row[i] ?? '']));
      if (named.pxname === 'instances') result[named.svname!] = named;
    }
    return result;
  };
  const states = async () => {
    const result: Record<string, string> = {};
    for (const [name, row] of Object.entries(await stats())) if (name !== 'BACKEND') result[name] = row.status!;
    return result;
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };

  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}:\n${output}`);
    try {
      await states();
      break;
    } catch (error) {
      if (i > 50) {
        await stop();
        throw new Error(`haproxy's stats page did not answer: ${(error as Error).message}\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    url: `http://127.0.0.1:${port}`,
    states,
    untilState: async (server, state, timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs;
      let seen = '';
      while (Date.now() < deadline) {
        seen = (await states())[server] ?? 'missing';
        // a server coming up reads "DOWN 1/2" between its first and second good check
        if (seen === state) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`haproxy did not see ${server} ${state} within ${timeoutMs} ms (last: ${seen})`);
    },
    retried: async () => {
      const totals = (await stats()).BACKEND!;
      return { retries: Number(totals.wretr), redispatches: Number(totals.wredis) };
    },
    output: () => output,
    stop,
  };
}
