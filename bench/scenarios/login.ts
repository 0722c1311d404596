import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Argon2Command, Argon2Result, Argon2Run } from '../argon2-alone.js';
import { LoadGenerator, runLoad } from '../load/run-load.js';
import type { LoadResult } from '../load/spec.js';
import { PASSWORD, settings } from '../settings.js';
import type { BenchContext } from './context.js';

const ARGON2_ALONE = fileURLToPath(new URL('../argon2-alone.js', import.meta.url));

/** argon2id alone, in its own process, driven slice by slice. */
class Argon2Alone {
  readonly #child: ChildProcess = fork(ARGON2_ALONE, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
  readonly runs: Argon2Run[] = [];

  send(command: Argon2Command): Promise<{ run?: Argon2Run }> {
    return new Promise((resolve, reject) => {
      this.#child.once('message', (message: { run?: Argon2Run; error?: string }) => (message.error ? reject(new Error(message.error)) : resolve(message)));
      this.#child.send(command);
    });
  }

  async measure(seconds: number): Promise<void> {
    this.runs.push((await this.send({ type: 'run', seconds })).run!);
  }

  result(concurrency: number): Argon2Result {
    const latencies = this.runs.flatMap((r) => r.latencies).sort((a, b) => a - b);
    const seconds = this.runs.reduce((sum, r) => sum + r.seconds, 0);
    const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
    return { verifies: latencies.length, seconds, perSecond: latencies.length / seconds, p50: at(50), p99: at(99), concurrency };
  }

  close(): void {
    if (this.#child.connected) this.#child.send({ type: 'exit' } satisfies Argon2Command);
  }
}

/**
 * Password logins through POST /api/auth/login (round-robin over 256 users), interleaved slice by slice with
 * argon2id verifications alone at the same concurrency in their own process; then the overload: many more
 * concurrent logins than the server's bound on argon2 work (running + queued), which must be refused quickly
 * with 503 and Retry-After.
 */
export async function login(
  ctx: BenchContext,
): Promise<{ ours: LoadResult; argon2: Argon2Result; overload: LoadResult; concurrency: number; overloadConnections: number }> {
  const feed = { kind: 'logins' as const, emails: ctx.seeded.loginEmails, password: PASSWORD };
  const rounds = settings.rounds;
  ctx.log(`password login: auth-connect, interleaved with argon2id verify alone (${rounds} rounds)`);
  const logins = await LoadGenerator.start({
    label: 'login (auth-connect)',
    origin: ctx.ours.url,
    serverPid: ctx.ours.child.pid,
    path: '/api/auth/login',
    method: 'POST',
    connections: settings.connections,
    warmupSeconds: settings.warmupSeconds,
    feed,
  });
  const argon2 = new Argon2Alone();
  try {
    await argon2.send({ type: 'init', concurrency: settings.connections, params: settings.argon2 });
    await ctx.underLoad(async () => {
      await logins.warmup();
      await argon2.send({ type: 'run', seconds: 1 });
      for (let round = 0; round < rounds; round++) {
        await logins.measure({ seconds: settings.durationSeconds / rounds });
        await argon2.measure(settings.durationSeconds / rounds);
      }
    });
  } finally {
    logins.close();
    argon2.close();
  }
  ctx.log(`password login: overload (${settings.overloadConnections} connections)`);
  const overload = await ctx.underLoad(() =>
    runLoad({
      label: 'login overload (auth-connect)',
      origin: ctx.ours.url,
      path: '/api/auth/login',
      method: 'POST',
      connections: settings.overloadConnections,
      warmupSeconds: 0,
      durationSeconds: settings.overloadSeconds,
      feed,
      timeoutSeconds: 30,
    }),
  );
  return {
    ours: logins.result(),
    argon2: argon2.result(settings.connections),
    overload,
    concurrency: settings.connections,
    overloadConnections: settings.overloadConnections,
  };
}
