import argon2 from 'argon2';

/**
 * argon2id verifications alone, in their own process: the ceiling for password logins on this machine. On
 * command, keeps `concurrency` verifications in flight for some seconds, with the server's parameters, and
 * reports how many finished and how long each took (so it can be interleaved with the login load).
 */
export type Argon2Command =
  | { type: 'init'; concurrency: number; params: { memoryCost: number; timeCost: number; parallelism: number } }
  | { type: 'run'; seconds: number }
  | { type: 'exit' };

export interface Argon2Run {
  latencies: number[];
  seconds: number;
}

export interface Argon2Result {
  verifies: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  concurrency: number;
}

let hash: string | undefined;
let concurrency = 1;

async function run(seconds: number): Promise<Argon2Run> {
  const latencies: number[] = [];
  const started = performance.now();
  const end = started + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      if (!(await argon2.verify(hash!, 'Bench-Passw0rd'))) throw new Error('argon2 verify failed');
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, seconds: (performance.now() - started) / 1000 };
}

process.on('message', (command: Argon2Command) => {
  (async () => {
    switch (command.type) {
      case 'init':
        concurrency = command.concurrency;
        hash = await argon2.hash('Bench-Passw0rd', { type: argon2.argon2id, ...command.params });
        return { ready: true };
      case 'run':
        return { run: await run(command.seconds) };
      case 'exit':
        process.exit(0);
    }
  })().then(
    (message) => process.send!(message),
    (error: Error) => process.send!({ error: error.stack }),
  );
});
