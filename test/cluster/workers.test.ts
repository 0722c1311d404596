import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { startAuthServer, type TestAuthServer } from '../helpers/auth-server.js';
import { createTestDatabase } from '../helpers/test-database.js';
import { startServer, type RunningServer } from '../helpers/processes.js';
import { restartDelayMs } from '../../src/runtime/workers.js';

/** The pids of a process's children, from the kernel's process tree. */
function childrenOf(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

/** CPU time a process has used, in clock ticks (user + system, fields 14 and 15 of /proc/PID/stat). */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/**
 * WORKERS=2 on Postgres: one primary process and two workers sharing the port. Which worker served a
 * request is not exposed to clients on purpose; the tests read it from the kernel instead (the process
 * tree and each worker's CPU time while requests are being served).
 */
describe('WORKERS=2 on Postgres', function () {
  this.timeout(90_000);
  let a: TestAuthServer<RunningServer>;
  let machine: { id: string; secret: string };

  before(async function () {
    if (!process.env.TEST_DATABASE_URL) {
      console.warn('    skipping the worker tests: WORKERS runs on Postgres only (set TEST_DATABASE_URL)');
      this.skip();
    }
    a = await startAuthServer('postgres', { WORKERS: '2' }, 'spawned');
    await until('both workers to listen', () => (/"workers":2[^\n]*2 workers listening on/.test(a.server.output()) ? true : undefined));
    const cc = await a.createClient({ name: 'Worker Machine', grant: 'client_credentials', permissions: ['read'] });
    machine = { id: cc.client.client_id, secret: cc.secret! };
  });
  after(async () => {
    await a?.stop();
  });

  const clientCredentials = () =>
    fetch(`${a.issuer}/token`, {
      // a connection the primary accepted and was handing to the worker just killed is never answered (node's
      // round-robin hand-off has no reply from a dead worker); a client or load balancer times out and retries
      signal: AbortSignal.timeout(5_000),
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${machine.id}:${machine.secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
  const burst = async (requests: number, concurrency: number) => {
    const statuses: number[] = [];
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (statuses.length < requests) {
          // a kept-alive connection to a worker that was killed fails once: new connections go to live workers
          const response = await clientCredentials()
            .catch(() => clientCredentials())
            .catch(() => clientCredentials());
          await response.arrayBuffer();
          statuses.push(response.status);
        }
      }),
    );
    return statuses;
  };

  it('says once that the primary started 2 workers, and each worker tags its own lines', () => {
    const output = a.server.output();
    assert.equal(output.match(/starting 2 workers/g)?.length, 1, output);
    assert.equal(output.match(/2 workers listening on/g)?.length, 1, output);
    const workers = childrenOf(a.server.process.pid!);
    for (const pid of workers) assert.match(output, new RegExp(`"worker":\\d+,"pid":${pid},[^\\n]*listening on`));
  });

  it('serves concurrent requests from two distinct worker processes', async () => {
    const workers = childrenOf(a.server.process.pid!);
    assert.equal(new Set(workers).size, 2, `children of the primary: ${workers.join(', ')}`);
    const before = workers.map(cpuTicks);
    const statuses = await burst(200, 8);
    assert.deepEqual([...new Set(statuses)], [200]);
    const used = workers.map((pid, i) => cpuTicks(pid) - before[i]!);
    // an idle worker uses next to no CPU; each of the two did a share of the 200 token requests
    for (const [i, ticks] of used.entries()) assert.ok(ticks >= 10, `worker ${workers[i]} used ${ticks} ticks (all: ${used.join(', ')})`);
  });

  it('replaces a worker killed with SIGKILL, and keeps serving meanwhile', async () => {
    const primary = a.server.process.pid!;
    const [victim, survivor] = childrenOf(primary);
    process.kill(victim!, 'SIGKILL');
    // the survivor keeps answering while the replacement starts
    assert.deepEqual([...new Set(await burst(10, 2))], [200]);
    const replaced = await until('a replacement worker', () => {
      const now = childrenOf(primary);
      return now.length === 2 && !now.includes(victim!) && /2 workers/.test(a.server.output()) ? now : undefined;
    });
    assert.ok(replaced.includes(survivor!));
    assert.match(a.server.output(), new RegExp(`worker ${victim} died \\(signal SIGKILL\\); starting a replacement`));
    await until('the replacement to listen', () => (a.server.output().match(/listening on/g)!.length >= 4 ? true : undefined));
    assert.deepEqual([...new Set(await burst(40, 4))], [200]);
  });

  it('stops every worker and exits 0 on SIGTERM to the primary', async () => {
    const workers = childrenOf(a.server.process.pid!);
    assert.equal(await a.server.stop('SIGTERM'), 0, a.server.output());
    for (const pid of workers) assert.equal(alive(pid), false, `worker ${pid} still running`);
    assert.match(a.server.output(), /SIGTERM: stopping 2 worker\(s\)/);
  });
});

describe('WORKERS with the embedded database', function () {
  this.timeout(60_000);

  it('says in one line that it runs one process, and serves from it', async () => {
    const testDb = await createTestDatabase('embedded');
    const server = await startServer({ ...testDb.env, WORKERS: '2' });
    try {
      assert.equal(server.output().match(/WORKERS=2 ignored: the embedded database serves one process/g)?.length, 1, server.output());
      assert.deepEqual(childrenOf(server.process.pid!), []);
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    } finally {
      assert.equal(await server.stop(), 0);
      await testDb.drop();
    }
  });
});

describe('replacing workers that keep dying', () => {
  it('waits nothing for the first, then doubles from 1 s up to 30 s', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 20].map(restartDelayMs), [0, 0, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });
});
