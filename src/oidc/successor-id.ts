import { createHmac, hkdfSync, randomBytes } from 'node:crypto';

/** The value a rotated refresh token is exchanged for, computed from the rotated token and the seed stored with it. */
export type SuccessorId = (rotatedId: string, seed: string | null) => string;

/**
 * A rotated refresh token's successor is HMAC-SHA256(key, seed, rotated value): the key derived from the
 * server secret with HKDF, the seed a random value stored in the rotated token's row when it was saved.
 * Every presentation of one token, on any instance, names the same successor without another read, so
 * rotating (consume the old, insert the new) is one statement, and a retry of a lost answer or a concurrent
 * presentation is answered with the very token the first answer carried. Computing a successor needs the
 * secret and the database row, so neither a leaked secret with an old token nor the database alone predicts
 * a chain (the database holds the live tokens themselves anyway). Rows saved before seeds existed have none:
 * their successor is computed from the secret and the token alone. 256 bits, as long as the provider's own values.
 */
export function successorIdFrom(serverSecret: string): SuccessorId {
  const key = Buffer.from(hkdfSync('sha256', serverSecret, '', 'auth-connect refresh-token successor id v2', 32));
  return (rotatedId, seed) =>
    createHmac('sha256', key)
      .update(seed ?? '')
      .update('.')
      .update(rotatedId)
      .digest('base64url');
}

/** The seed stored with a new refresh token, from which its successor will be computed. */
export function newSuccessorSeed(): string {
  return randomBytes(32).toString('base64url');
}
