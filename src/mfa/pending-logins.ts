import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { deletePendingLogin, findPendingLogin, insertPendingLogin } from './pending-logins-repository.js';

/** How long the second step of a sign-in may take after the password. */
export const PENDING_LOGIN_SECONDS = 300;

export interface PendingLogin {
  userId: string;
  clientId: string | null;
  /** The methods of the first factor (`pwd`). */
  amr: string[];
}

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * A sign-in whose first factor passed: a random token (the JSON API's `mfa_token`, the login page's cookie)
 * that stands for it for five minutes. Only its hash is stored.
 */
export async function startPendingLogin(db: Knex, login: PendingLogin): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await insertPendingLogin(db, { tokenHash: hashOf(token), ...login, expiresAt: new Date(Date.now() + PENDING_LOGIN_SECONDS * 1000) });
  return token;
}

export async function pendingLogin(db: Knex, token: unknown): Promise<PendingLogin | undefined> {
  if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
  const row = await findPendingLogin(db, hashOf(token));
  return row ? { userId: row.user_id, clientId: row.client_id, amr: row.amr } : undefined;
}

/** Ends it once the second factor passed; false when another request ended it first (then that one signs in). */
export function completePendingLogin(db: Knex, token: string): Promise<boolean> {
  return deletePendingLogin(db, hashOf(token));
}
