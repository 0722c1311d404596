import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { UserRow } from '../accounts/accounts-service.js';
import type { ChangeOrigin } from '../audit/actor.js';
import { auditOwnChange } from './mfa-audit.js';
import { listAuditEvents } from '../audit/audit-log.js';
import type { Config } from '../config/types.js';
import { alreadyEnrolled, invalidMfaCode, noSecondFactor, noTotpEnrolment } from './mfa-errors.js';
import type { SecondFactorMethod } from './mfa-policy.js';
import { listPasskeys } from './passkeys-repository.js';
import { countSecondFactors, type SecondFactorCounts } from './second-factors-repository.js';
import { countUnusedRecoveryCodes, deleteRecoveryCodes, replaceRecoveryCodes, useRecoveryCode } from './recovery-codes-repository.js';
import { hashRecoveryCode, newRecoveryCodes, normaliseRecoveryCode } from './recovery-codes.js';
import { newTotpSecret, normaliseTotpCode, totpStepOf, totpUri } from './totp-codes.js';
import { acceptTotpStep, deleteTotp, findTotp, saveUnconfirmedTotp } from './totp-repository.js';
import { openTotpSecret, sealTotpSecret } from './totp-secret-seal.js';
import type { SecondFactorNotifier } from './second-factor-notices.js';

export interface MfaContext {
  db: Knex;
  config: Pick<Config, 'auth' | 'roles'>;
  /** Seals TOTP secrets (totp-secret-seal.ts). */
  totpKey: Buffer;
  /** Tells the user of a change to their second factors (a mail, in the change's transaction). */
  notify?: SecondFactorNotifier;
}

/** What second factors a user has: never a secret, only whether and how many. */
export type SecondFactors = SecondFactorCounts;

export function secondFactorsOf(ctx: Pick<MfaContext, 'db'>, userId: string): Promise<SecondFactors> {
  return countSecondFactors(ctx.db, userId);
}

/**
 * When the user's latest recovery code was used, if ever: the account page tells the user, so a use they did
 * not make is noticed (until mail is sent, the page and the audit log are where it shows).
 */
export async function lastRecoveryCodeUse(ctx: Pick<MfaContext, 'db'>, userId: string): Promise<Date | undefined> {
  const [event] = await listAuditEvents(ctx.db, { event: 'mfa.recovery_code.used', userId, limit: 1, offset: 0 });
  return event ? new Date(event.occurred_at as string | Date) : undefined;
}

export function hasSecondFactor(factors: SecondFactors): boolean {
  return factors.totp || factors.passkeys > 0;
}

/** The ways this user can answer the second step of a sign-in. */
export function methodsOf(factors: SecondFactors): SecondFactorMethod[] {
  const methods: SecondFactorMethod[] = [];
  if (factors.totp) methods.push('totp');
  if (factors.passkeys) methods.push('passkey');
  if (factors.recoveryCodesLeft && hasSecondFactor(factors)) methods.push('recovery_code');
  return methods;
}

export interface TotpEnrolment {
  /** base32, for typing into an app that cannot scan */
  secret: string;
  otpauthUri: string;
  /** the QR code as an SVG data: URL, for an <img> (no script, allowed by the CSP's img-src) */
  qrCode: string;
}

/**
 * Starts setting up an authenticator app: a new secret, stored sealed and not yet in force (a setup that was
 * started and never confirmed is replaced). It counts only once a code from the app confirms it.
 */
export async function startTotpEnrolment(ctx: MfaContext, user: UserRow): Promise<TotpEnrolment> {
  const secret = newTotpSecret();
  if (!(await saveUnconfirmedTotp(ctx.db, user.id, sealTotpSecret(ctx.totpKey, user.id, secret)))) throw alreadyEnrolled();
  return enrolmentOf(ctx, user, secret);
}

const ENROLMENT_REUSE_MS = 10 * 60_000;

/**
 * The setup in progress (the same secret again, so a code typed wrong does not invalidate the QR code just
 * scanned), or a new one when none was started in the last ten minutes.
 */
export async function currentTotpEnrolment(ctx: MfaContext, user: UserRow): Promise<TotpEnrolment> {
  const row = await findTotp(ctx.db, user.id);
  if (row?.confirmed_at) throw alreadyEnrolled();
  const secret = row && Date.now() - row.created_at.getTime() < ENROLMENT_REUSE_MS ? openTotpSecret(ctx.totpKey, user.id, row.sealed_secret) : undefined;
  return secret ? enrolmentOf(ctx, user, secret) : startTotpEnrolment(ctx, user);
}

async function enrolmentOf(ctx: MfaContext, user: UserRow, secret: string): Promise<TotpEnrolment> {
  const otpauthUri = totpUri(secret, ctx.config.auth.server.organization_name, user.email);
  // loaded when an authenticator app is first set up: most requests never draw a QR code
  const { default: QRCode } = await import('qrcode');
  const svg = await QRCode.toString(otpauthUri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return { secret, otpauthUri, qrCode: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}` };
}

/**
 * Confirms the app with one of its codes: from now on it is a second factor. The first second factor also
 * brings the recovery codes, shown to the user this once (returned here) and stored only hashed. The
 * confirmation, the codes and the audit row are one transaction.
 */
export async function confirmTotpEnrolment(ctx: MfaContext, user: UserRow, input: unknown, origin: ChangeOrigin): Promise<{ recoveryCodes?: string[] }> {
  const row = await findTotp(ctx.db, user.id);
  if (!row) throw noTotpEnrolment();
  if (row.confirmed_at) throw alreadyEnrolled();
  const step = await stepOfCode(ctx, user.id, row.sealed_secret, input);
  if (step === undefined) throw invalidMfaCode();
  return ctx.db.transaction(async (db) => {
    if (!(await acceptTotpStep(db, user.id, step, true))) throw invalidMfaCode();
    const recoveryCodes = (await countUnusedRecoveryCodes(db, user.id)) ? undefined : await storeNewRecoveryCodes(db, user.id);
    await auditOwnChange(db, user, origin, 'mfa.totp.enrolled', { recovery_codes_issued: Boolean(recoveryCodes) });
    await ctx.notify?.(db, user, { kind: 'added', method: 'authenticator app', eventId: `totp-added:${randomUUID()}` });
    return recoveryCodes ? { recoveryCodes } : {};
  });
}

/** Removes the authenticator app; with no second factor left, the recovery codes go too (they recover nothing). */
export async function removeTotp(ctx: MfaContext, user: UserRow, origin: ChangeOrigin): Promise<boolean> {
  return ctx.db.transaction(async (db) => {
    if (!(await deleteTotp(db, user.id))) return false;
    const codesRemoved = (await listPasskeys(db, user.id)).length ? 0 : await deleteRecoveryCodes(db, user.id);
    await auditOwnChange(db, user, origin, 'mfa.totp.removed', { recovery_codes_removed: codesRemoved });
    await ctx.notify?.(db, user, { kind: 'removed', method: 'authenticator app', eventId: `totp-removed:${randomUUID()}` });
    return true;
  });
}

/** Ten new recovery codes, replacing every earlier one; only for a user with a second factor. */
export async function regenerateRecoveryCodes(ctx: MfaContext, user: UserRow, origin: ChangeOrigin): Promise<string[]> {
  if (!hasSecondFactor(await secondFactorsOf(ctx, user.id))) throw noSecondFactor();
  return ctx.db.transaction(async (db) => {
    const codes = await storeNewRecoveryCodes(db, user.id);
    await auditOwnChange(db, user, origin, 'mfa.recovery_codes.regenerated');
    return codes;
  });
}

/**
 * The second step of a sign-in with a typed code: a code of the user's authenticator app (each accepted at
 * most once), or one of their recovery codes (each usable once; its use is audited with how many are left).
 * Undefined when it is neither. Call it only from inside the login throttle, like a password check.
 */
export async function verifySecondFactorCode(
  ctx: MfaContext,
  user: UserRow,
  input: unknown,
  origin: ChangeOrigin,
): Promise<Exclude<SecondFactorMethod, 'passkey'> | undefined> {
  const factors = await secondFactorsOf(ctx, user.id);
  if (!hasSecondFactor(factors)) return undefined;
  if (normaliseTotpCode(input) !== undefined) {
    const row = await findTotp(ctx.db, user.id);
    if (!row?.confirmed_at) return undefined;
    const step = await stepOfCode(ctx, user.id, row.sealed_secret, input);
    return step !== undefined && (await acceptTotpStep(ctx.db, user.id, step, false)) ? 'totp' : undefined;
  }
  const recovery = normaliseRecoveryCode(input);
  if (recovery === undefined) return undefined;
  return ctx.db.transaction(async (db) => {
    if (!(await useRecoveryCode(db, user.id, hashRecoveryCode(recovery)))) return undefined;
    const left = await countUnusedRecoveryCodes(db, user.id);
    await auditOwnChange(db, user, origin, 'mfa.recovery_code.used', { recovery_codes_left: left });
    await ctx.notify?.(db, user, { kind: 'recovery_code_used', method: String(left), eventId: `recovery-code:${randomUUID()}` });
    return 'recovery_code' as const;
  });
}

async function stepOfCode(ctx: MfaContext, userId: string, sealed: string, input: unknown): Promise<number | undefined> {
  const code = normaliseTotpCode(input);
  if (code === undefined) return undefined;
  const secret = openTotpSecret(ctx.totpKey, userId, sealed);
  // a secret this server cannot open (another JWT_SECRET / KEYS_ENCRYPTION_KEY) accepts no code
  return secret === undefined ? undefined : totpStepOf(secret, code);
}

async function storeNewRecoveryCodes(db: Knex, userId: string): Promise<string[]> {
  const codes = newRecoveryCodes();
  await replaceRecoveryCodes(
    db,
    userId,
    codes.map((code) => hashRecoveryCode(normaliseRecoveryCode(code)!)),
  );
  return codes;
}
