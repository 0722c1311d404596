import type { Knex } from 'knex';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { findUser, type UserRow } from '../accounts/accounts-service.js';
import type { ChangeOrigin } from '../audit/actor.js';
import { recordAudit } from '../audit/audit-log.js';
import { auditOwnChange } from './mfa-audit.js';
import { passkeyNotFound } from './mfa-errors.js';
import { deletePasskey, findPasskeyByCredentialId, insertPasskey, listPasskeys, recordPasskeyUse, type PasskeyRow } from './passkeys-repository.js';
import { deleteRecoveryCodes } from './recovery-codes-repository.js';
import { findTotp } from './totp-repository.js';
import { insertChallenge, takeChallenge } from './webauthn-challenges-repository.js';
import type { SecondFactorNotifier } from './second-factor-notices.js';

export type { PasskeyRow };

/** The WebAuthn library, loaded at the first passkey ceremony: a server whose users never use passkeys does not hold it (about 7 MB of heap). */
const webauthn = () => import('@simplewebauthn/server');

/** Who the browser talks to: the RP ID and origin come from the issuer, never from a request header. */
export interface RelyingParty {
  id: string;
  origin: string;
  name: string;
}

export function relyingPartyOf(issuer: string, organizationName: string): RelyingParty {
  const url = new URL(issuer);
  return { id: url.hostname, origin: url.origin, name: organizationName };
}

const CHALLENGE_SECONDS = 300;

/** The user's passkeys, oldest first: names and dates only (the public keys stay inside this service). */
export function listUserPasskeys(ctx: { db: Knex }, userId: string): Promise<PasskeyRow[]> {
  return listPasskeys(ctx.db, userId);
}

/**
 * Options for adding a passkey: a discoverable credential (so it can sign in without an email) with user
 * verification, not one the user has already. The challenge is stored, bound to `boundTo` (the page's
 * session), and lives five minutes.
 */
export async function passkeyRegistrationOptions(
  ctx: { db: Knex },
  rp: RelyingParty,
  user: UserRow,
  boundTo: string,
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const existing = await listPasskeys(ctx.db, user.id);
  const options = await (await webauthn()).generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: user.email,
    userID: new TextEncoder().encode(user.id),
    attestationType: 'none',
    excludeCredentials: existing.map((p) => ({ id: p.credential_id, transports: p.transports })),
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
  });
  await storeChallenge(ctx.db, options.challenge, 'register', user.id, boundTo);
  return options;
}

/**
 * Verifies the browser's answer (its challenge taken, so it is answered once; origin and RP ID those of the
 * issuer; user verification required) and stores the passkey with its name, audited in one transaction.
 */
export async function addPasskey(
  ctx: { db: Knex; notify?: SecondFactorNotifier },
  rp: RelyingParty,
  user: UserRow,
  boundTo: string,
  input: { name: string; response: RegistrationResponseJSON },
  origin: ChangeOrigin,
): Promise<PasskeyRow | undefined> {
  const challenge = challengeOf(input.response);
  const taken = challenge ? await takeChallenge(ctx.db, challenge, 'register', boundTo) : undefined;
  if (!challenge || taken?.userId !== user.id) return undefined;
  const verification = await (await webauthn())
    .verifyRegistrationResponse({
      response: input.response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: true,
    })
    .catch(() => undefined);
  if (!verification?.verified) return undefined;
  const { credential, credentialDeviceType, credentialBackedUp } = verification.registrationInfo;
  return ctx.db.transaction(async (db) => {
    const passkey = await insertPasskey(db, {
      userId: user.id,
      credentialId: credential.id,
      publicKey: Buffer.from(credential.publicKey).toString('base64url'),
      signCount: credential.counter,
      transports: credential.transports ?? [],
      deviceType: credentialDeviceType,
      backedUp: credentialBackedUp,
      name: input.name,
    });
    await auditOwnChange(db, user, origin, 'mfa.passkey.added', { passkey_id: passkey.id, name: passkey.name });
    await ctx.notify?.(db, user, { kind: 'added', method: 'passkey', eventId: `passkey-added:${passkey.id}` });
    return passkey;
  });
}

/** Removes one of the user's passkeys; with no second factor left, the recovery codes go too. */
export async function removePasskey(ctx: { db: Knex; notify?: SecondFactorNotifier }, user: UserRow, passkeyId: string, origin: ChangeOrigin): Promise<void> {
  await ctx.db.transaction(async (db) => {
    const removed = await deletePasskey(db, user.id, passkeyId);
    if (!removed) throw passkeyNotFound();
    const factorsLeft = (await listPasskeys(db, user.id)).length > 0 || Boolean((await findTotp(db, user.id))?.confirmed_at);
    const codesRemoved = factorsLeft ? 0 : await deleteRecoveryCodes(db, user.id);
    await auditOwnChange(db, user, origin, 'mfa.passkey.removed', { passkey_id: removed.id, name: removed.name, recovery_codes_removed: codesRemoved });
    await ctx.notify?.(db, user, { kind: 'removed', method: 'passkey', eventId: `passkey-removed:${removed.id}` });
  });
}

/**
 * Options for signing in with a passkey: any discoverable passkey of this site (the first factor, and the
 * email field's autofill), or one of `userId`'s (the second factor after a password).
 */
export async function passkeyAuthenticationOptions(
  ctx: { db: Knex },
  rp: RelyingParty,
  boundTo: string,
  userId?: string,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const allowCredentials = userId ? (await listPasskeys(ctx.db, userId)).map((p) => ({ id: p.credential_id, transports: p.transports as never })) : undefined;
  const options = await (await webauthn()).generateAuthenticationOptions({
    rpID: rp.id,
    userVerification: 'required',
    ...(allowCredentials ? { allowCredentials } : {}),
  });
  await storeChallenge(ctx.db, options.challenge, 'authenticate', userId ?? null, boundTo);
  return options;
}

export interface PasskeySignIn {
  user: UserRow;
  /** RFC 8176: a device-bound key is hardware (hwk), a synced one software (swk); user verification was required. */
  amr: string[];
  backedUp: boolean;
}

/**
 * Checks a passkey assertion: the challenge taken (once), the credential known and of an active user (of
 * `expectedUserId` when given), the signature, origin, RP ID and user verification, and the signature counter,
 * which must grow when the authenticator keeps one (a clone shows an old counter); the new counter is stored
 * compare-and-set, so one assertion cannot be used twice. Undefined for any failure.
 */
export async function signInWithPasskey(
  ctx: { db: Knex },
  rp: RelyingParty,
  boundTo: string,
  response: AuthenticationResponseJSON,
  origin: { clientId: string | null; ip: string; userAgent: string | null },
  expectedUserId?: string,
): Promise<PasskeySignIn | undefined> {
  const challenge = challengeOf(response);
  const taken = challenge ? await takeChallenge(ctx.db, challenge, 'authenticate', boundTo) : undefined;
  if (!challenge || !taken || (taken.userId && taken.userId !== expectedUserId)) return undefined;
  const passkey = typeof response.id === 'string' ? await findPasskeyByCredentialId(ctx.db, response.id) : undefined;
  if (!passkey || (expectedUserId && passkey.user_id !== expectedUserId)) return undefined;
  const user = await findUser(ctx, passkey.user_id);
  if (!user?.is_active) return undefined;
  const verification = await (await webauthn())
    .verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: true,
      credential: {
        id: passkey.credential_id,
        publicKey: new Uint8Array(Buffer.from(passkey.public_key, 'base64url')),
        counter: Number(passkey.sign_count),
        transports: passkey.transports,
      },
    })
    .catch(() => undefined);
  if (!verification?.verified || !verification.authenticationInfo.userVerified) return undefined;
  if (!(await recordPasskeyUse(ctx.db, passkey.id, passkey.sign_count, verification.authenticationInfo.newCounter))) return undefined;
  const backedUp = verification.authenticationInfo.credentialBackedUp;
  await recordAudit(ctx.db, {
    event: expectedUserId ? 'mfa.passkey.used' : 'login',
    userId: user.id,
    clientId: origin.clientId,
    ip: origin.ip,
    userAgent: origin.userAgent,
    details: { via: 'page', method: 'passkey', passkey_id: passkey.id },
  });
  return { user, amr: [backedUp ? 'swk' : 'hwk', 'user', 'mfa'], backedUp };
}

async function storeChallenge(db: Knex, challenge: string, purpose: 'register' | 'authenticate', userId: string | null, boundTo: string) {
  await insertChallenge(db, { challenge, purpose, userId, boundTo, expiresAt: new Date(Date.now() + CHALLENGE_SECONDS * 1000) });
}

/** The challenge the browser signed, read from its client data (verified again by the library against the stored one). */
function challengeOf(response: { response?: { clientDataJSON?: unknown } }): string | undefined {
  try {
    const data = JSON.parse(Buffer.from(String(response.response?.clientDataJSON ?? ''), 'base64url').toString('utf8')) as { challenge?: unknown };
    return typeof data.challenge === 'string' && data.challenge.length <= 128 ? data.challenge : undefined;
  } catch {
    return undefined;
  }
}
