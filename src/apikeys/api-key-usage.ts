import type { Knex } from 'knex';
import { recordAudit } from '../audit/audit-log.js';
import type { Logger } from '../logger.js';
import { writeLastUsed } from './api-keys-repository.js';

/**
 * Remembers when keys were used and writes it (last_used_at, and one api_key.used audit event per key
 * with a count) once a minute, instead of a database write on every exchange.
 */
export function apiKeyUsage(db: Knex, log: Logger, intervalMs = 60_000) {
  let pending = new Map<string, { at: Date; count: number; userId: string; ip: string | null }>();

  const flush = async () => {
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    try {
      await writeLastUsed(db, new Map([...batch].map(([id, use]) => [id, use.at])));
      for (const [id, use] of batch) {
        await recordAudit(db, { event: 'api_key.used', userId: use.userId, ip: use.ip, details: { api_key_id: id, count: use.count } });
      }
    } catch (error) {
      log.warn({ err: error }, 'could not record API key use; will retry');
      for (const [id, use] of batch) if (!pending.has(id)) pending.set(id, use);
    }
  };
  const timer = setInterval(flush, intervalMs);
  timer.unref();

  return {
    record(keyId: string, userId: string, ip: string | null): void {
      const use = pending.get(keyId);
      pending.set(keyId, { at: new Date(), count: (use?.count ?? 0) + 1, userId, ip });
    },
    flush,
    stop: () => clearInterval(timer),
  };
}

export type ApiKeyUsage = ReturnType<typeof apiKeyUsage>;
