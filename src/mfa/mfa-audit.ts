import type { Knex } from 'knex';
import type { UserRow } from '../accounts/accounts-service.js';
import type { ChangeOrigin } from '../audit/actor.js';
import { recordAudit } from '../audit/audit-log.js';

/** The audit row of a change a user makes to their own second factors (never a secret in `details`). */
export function auditOwnChange(db: Knex, user: UserRow, origin: ChangeOrigin, event: string, details: Record<string, unknown> = {}): Promise<void> {
  return recordAudit(db, {
    event,
    userId: user.id,
    actor: { kind: 'user', userId: user.id },
    ip: origin.ip,
    userAgent: origin.userAgent,
    details: { via: origin.via, ...details },
  });
}
