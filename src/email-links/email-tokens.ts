import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { insertEmailToken, type EmailTokenRow, type TokenPurpose } from './email-tokens-repository.js';

export type { EmailTokenRow, TokenPurpose };

/** How long a link works: a reset is a takeover if the mailbox leaks, so it is short; confirming an address is not. */
export const TOKEN_LIFETIME_SECONDS: Record<TokenPurpose, number> = {
  verify_email: 24 * 3600,
  change_email: 24 * 3600,
  password_reset: 30 * 60,
};

const TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;

/**
 * The SHA-256 of a token, as stored: 256 random bits need no slow hash or salt, and a database reader
 * cannot turn a stored hash back into a working link. undefined for text that is no token of ours.
 */
export function hashEmailToken(token: unknown): string | undefined {
  if (typeof token !== 'string' || !TOKEN_FORMAT.test(token)) return undefined;
  return createHash('sha256').update(token).digest('base64url');
}

/** A new single-use token for `email` (the address it is sent to); the token itself exists only in the mail. */
export async function issueEmailToken(db: Knex, userId: string, purpose: TokenPurpose, email: string): Promise<{ token: string; row: EmailTokenRow }> {
  const token = randomBytes(32).toString('base64url');
  const expires_at = new Date(Date.now() + TOKEN_LIFETIME_SECONDS[purpose] * 1000);
  const row = await insertEmailToken(db, { user_id: userId, purpose, token_hash: hashEmailToken(token)!, email, expires_at });
  return { token, row };
}
