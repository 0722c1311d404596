import type { Knex } from 'knex';
import type { Logger } from '../logger.js';
import { deleteExpiredBatch } from './payloads-repository.js';

const LOCK_KEY = 0x61630001; // "ac" 1: one cleaner at a time across every instance on this database
const BATCH = 1_000;
const MAX_BATCHES_PER_RUN = 100;
// Kept a while past expiry so the provider can still say "expired" rather than "not found"
const GRACE_MS = 10 * 60_000;

/** Deletes expired oidc rows in batches; only the instance holding the advisory lock does the work. */
export async function removeExpiredPayloads(db: Knex): Promise<number | undefined> {
  return db.transaction(async (trx) => {
    const { rows } = await trx.raw<{ rows: { locked: boolean }[] }>('select pg_try_advisory_xact_lock(?) as locked', [LOCK_KEY]);
    if (!rows[0]?.locked) return undefined;
    const before = new Date(Date.now() - GRACE_MS);
    let removed = 0;
    for (let i = 0; i < MAX_BATCHES_PER_RUN; i++) {
      const count = await deleteExpiredBatch(trx, before, BATCH);
      removed += count;
      if (count < BATCH) break;
    }
    return removed;
  });
}

/** Runs the cleanup `firstRunMs` after the call, then every `intervalMs`, until the returned function is called. */
export function scheduleExpiredPayloadCleanup(db: Knex, log: Logger, { firstRunMs = 5_000, intervalMs = 10 * 60_000 } = {}): () => void {
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      const removed = await removeExpiredPayloads(db);
      if (removed) log.info({ removed }, 'removed expired oidc rows');
    } catch (error) {
      log.warn({ err: error }, 'cleaning expired oidc rows failed; will retry');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(run, intervalMs);
  timer.unref();
  const first = setTimeout(run, firstRunMs);
  first.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
