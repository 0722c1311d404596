import { randomUUID } from 'node:crypto';
import type { AccountsContext } from '../accounts/accounts-service.js';
import { managedUser } from '../accounts/user-administration.js';
import type { ChangeOrigin } from '../audit/actor.js';
import { recordAudit } from '../audit/audit-log.js';
import type { Caller } from '../rbac/caller.js';
import { deleteAllPasskeys } from './passkeys-repository.js';
import { deletePendingLoginsOf } from './pending-logins-repository.js';
import { deleteRecoveryCodes } from './recovery-codes-repository.js';
import { deleteTotp } from './totp-repository.js';

export interface SecondFactorsReset {
  totp_removed: boolean;
  passkeys_removed: number;
  recovery_codes_removed: number;
}

/**
 * An operator or user manager removes every second factor of a user who lost them (the user then signs in
 * with the password and, if the policy demands, enrols again). Bounded like every user change
 * (user-administration.ts: only users who hold nothing the caller lacks); the removal, the end of sign-ins
 * waiting for a second factor and the audit row are one transaction. Nothing secret is read or returned.
 */
export async function resetSecondFactorsAs(ctx: AccountsContext, caller: Caller, userId: string, origin: ChangeOrigin): Promise<SecondFactorsReset> {
  return ctx.db.transaction(async (db) => {
    const user = await managedUser({ ...ctx, db }, caller, userId);
    const reset: SecondFactorsReset = {
      totp_removed: await deleteTotp(db, user.id),
      passkeys_removed: await deleteAllPasskeys(db, user.id),
      recovery_codes_removed: await deleteRecoveryCodes(db, user.id),
    };
    await deletePendingLoginsOf(db, user.id);
    if (reset.totp_removed || reset.passkeys_removed)
      await ctx.onSecondFactorChange?.(db, user, { kind: 'removed', method: 'every second factor', eventId: `mfa-reset:${randomUUID()}` });
    await recordAudit(db, {
      event: 'mfa.reset',
      actor: caller.actor,
      userId: user.id,
      ip: origin.ip,
      userAgent: origin.userAgent,
      details: { via: origin.via, ...reset },
    });
    return reset;
  });
}
