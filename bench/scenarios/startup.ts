import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchProcess } from '../processes.js';
import { settings } from '../settings.js';

/**
 * Time from spawning `node dist/src/main.js` to the first 200 from GET /readyz (polled every 10 ms): first on
 * an empty database (migrations, key generation), then `settings.restarts` restarts on the migrated one.
 * `idleMb`: the RSS of the last restart, a second after it was ready, with nothing asked of it.
 */
export async function startup(
  start: () => Promise<BenchProcess>,
  log: (message: string) => void,
): Promise<{ firstMs: number; restartMs: number[]; idleMb: number }> {
  log('start to ready: first start');
  const first = await start();
  await first.stop();
  const restartMs: number[] = [];
  let idleMb = 0;
  for (let i = 0; i < settings.restarts; i++) {
    log(`start to ready: restart ${i + 1}`);
    const again = await start();
    restartMs.push(again.readyMs);
    if (i === settings.restarts - 1) {
      await sleep(1000);
      idleMb = again.rssMb() ?? 0;
    }
    await again.stop();
  }
  return { firstMs: first.readyMs, restartMs, idleMb };
}
