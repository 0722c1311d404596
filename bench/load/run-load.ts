import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RunnerCommand } from './runner.js';
import type { LoadResult, LoadSpec } from './spec.js';
import { summarise, type RawRun } from './summary.js';

const RUNNER = fileURLToPath(new URL('./runner.js', import.meta.url));

/** User + system CPU seconds of a process, all threads (Linux /proc; clock ticks of 10 ms). */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** A load-generator process for one LoadSpec (its own process, so it never shares an event loop with a server). */
export class LoadGenerator {
  readonly spec: LoadSpec;
  readonly #child: ChildProcess;
  readonly runs: RawRun[] = [];

  private constructor(spec: LoadSpec, child: ChildProcess) {
    this.spec = spec;
    this.#child = child;
  }

  static async start(spec: LoadSpec): Promise<LoadGenerator> {
    if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(spec.origin)) throw new Error(`load goes to 127.0.0.1 only, not ${spec.origin}`);
    const child = fork(RUNNER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
    const generator = new LoadGenerator(spec, child);
    await generator.#send({ type: 'init', spec });
    return generator;
  }

  #send(command: RunnerCommand): Promise<{ run?: RawRun }> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`load generator for ${this.spec.label} exited with ${code}`));
      this.#child.once('exit', onExit);
      this.#child.once('message', (message: { run?: RawRun; error?: string }) => {
        this.#child.off('exit', onExit);
        if (message.error) reject(new Error(`load ${this.spec.label} failed: ${message.error}`));
        else resolve(message);
      });
      this.#child.send(command);
    });
  }

  /** The spec's warm-up (seconds or amount), thrown away. */
  async warmup(): Promise<void> {
    if (this.spec.warmupAmount) await this.#send({ type: 'run', phase: 'warmup', amount: this.spec.warmupAmount });
    else if (this.spec.warmupSeconds > 0) await this.#send({ type: 'run', phase: 'warmup', seconds: this.spec.warmupSeconds });
  }

  /** One measured slice; the result of all slices is `result()`. */
  async measure(slice: { seconds?: number; amount?: number }): Promise<void> {
    const before = processCpuSeconds(this.spec.serverPid);
    const { run } = await this.#send({ type: 'run', phase: 'measure', ...slice });
    const after = processCpuSeconds(this.spec.serverPid);
    this.runs.push({ ...run!, ...(before !== undefined && after !== undefined ? { serverCpuSeconds: after - before } : {}) });
  }

  result(): LoadResult {
    return summarise(this.spec.label, this.runs);
  }

  close(): void {
    if (this.#child.connected) this.#child.send({ type: 'exit' } satisfies RunnerCommand);
  }
}

/** Warm-up, then the measurement (durationSeconds or amount), in a fresh load generator. */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const generator = await LoadGenerator.start(spec);
  try {
    await generator.warmup();
    await generator.measure(spec.amount ? { amount: spec.amount } : { seconds: spec.durationSeconds ?? 1 });
    return generator.result();
  } finally {
    generator.close();
  }
}

/**
 * Loads to compare, measured in alternating slices (A B A B …, `rounds` each) after each one's warm-up, so a
 * change in what else runs on the machine hits every one of them alike. Each gets `seconds` in total, or its
 * spec's `amount` split evenly over the rounds.
 */
export async function runInterleaved(specs: LoadSpec[], rounds: number, seconds?: number): Promise<LoadResult[]> {
  const generators: LoadGenerator[] = [];
  try {
    // the generators start side by side (a second of Node start each), then warm up one after the other
    const starting = await Promise.allSettled(specs.map((spec) => LoadGenerator.start(spec)));
    for (const started of starting) if (started.status === 'fulfilled') generators.push(started.value);
    const failed = starting.find((started) => started.status === 'rejected');
    if (failed) throw failed.reason;
    for (const generator of generators) await generator.warmup();
    for (let round = 0; round < rounds; round++) {
      for (const generator of generators) {
        const { amount } = generator.spec;
        const slice = amount
          ? { amount: Math.floor(amount / rounds) + (round < amount % rounds ? 1 : 0) }
          : { seconds: (seconds ?? generator.spec.durationSeconds ?? 1) / rounds };
        await generator.measure(slice);
      }
    }
    return generators.map((g) => g.result());
  } finally {
    for (const generator of generators) generator.close();
  }
}
