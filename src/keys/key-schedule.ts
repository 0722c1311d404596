import type { AuthConfig, SigningAlgorithm } from '../config/types.js';
import { generateSigningKey } from './generate-signing-key.js';
import type { PrivateKeySet, SigningJwk } from './key-set-file.js';

export type KeyStatus = 'signing' | 'pending' | 'published' | 'retired';

export interface KeyView {
  /** Published keys, each algorithm's signing key first: what oidc-provider is built with (it signs with the first match). */
  keys: SigningJwk[];
  status: Map<string, KeyStatus>;
  /** Changes whenever what is published or what signs changes. */
  fingerprint: string;
}

const time = (iso: string | undefined) => (iso ? Date.parse(iso) : -Infinity);

/**
 * What the key set means at `now`: keys past their retire time are gone; of the rest, for each algorithm
 * the newest key whose sign_from has come signs; newer keys wait (published, not signing).
 */
export function keyView(set: PrivateKeySet, configured: SigningAlgorithm, now = Date.now()): KeyView {
  const times = set.rotation ?? {};
  const published = set.keys.filter((k) => time(times[k.kid]?.retire_at) === -Infinity || time(times[k.kid]?.retire_at) > now);
  const status = new Map<string, KeyStatus>(set.keys.map((k) => [k.kid, 'retired']));
  const signers: SigningJwk[] = [];
  for (const alg of [...new Set(published.map((k) => k.alg))]) {
    const active = published.filter((k) => k.alg === alg && time(times[k.kid]?.sign_from) <= now);
    const signer = active.sort((a, b) => time(times[b.kid]?.sign_from) - time(times[a.kid]?.sign_from))[0];
    if (signer) signers.push(signer);
  }
  for (const key of published) status.set(key.kid, signers.includes(key) ? 'signing' : time(times[key.kid]?.sign_from) > now ? 'pending' : 'published');
  signers.sort((a, b) => Number(b.alg === configured) - Number(a.alg === configured));
  const keys = [...signers, ...published.filter((k) => !signers.includes(k))];
  return { keys, status, fingerprint: keys.map((k) => `${k.kid}:${status.get(k.kid)}`).join(',') };
}

/** Seconds a replaced key stays published after its successor starts signing. */
export function retireAfterSeconds(auth: AuthConfig): number {
  return auth.signing_keys.retire_after_seconds ?? auth.jwt.access_token_expire_minutes * 60 + 300;
}

/**
 * Adds a new key for each algorithm in `algorithms`, signing after the pre-publication time; the keys it
 * replaces retire once every token they signed has expired. Keys already retired are dropped.
 */
export async function rotateKeySet(
  set: PrivateKeySet,
  algorithms: SigningAlgorithm[],
  auth: AuthConfig,
  now = Date.now(),
): Promise<{ set: PrivateKeySet; added: SigningJwk[] }> {
  const rotation = { ...(set.rotation ?? {}) };
  const keys = set.keys.filter((k) => time(rotation[k.kid]?.retire_at) === -Infinity || time(rotation[k.kid]?.retire_at) > now);
  const signFrom = now + auth.signing_keys.prepublish_seconds * 1000;
  const retireAt = new Date(signFrom + retireAfterSeconds(auth) * 1000).toISOString();
  const added: SigningJwk[] = [];
  for (const alg of algorithms) {
    for (const old of keys.filter((k) => k.alg === alg && !rotation[k.kid]?.retire_at)) {
      rotation[old.kid] = { created_at: rotation[old.kid]?.created_at ?? new Date(now).toISOString(), ...rotation[old.kid], retire_at: retireAt };
    }
    const key = await generateSigningKey(alg);
    rotation[key.kid] = { created_at: new Date(now).toISOString(), sign_from: new Date(signFrom).toISOString() };
    added.push(key);
  }
  for (const kid of Object.keys(rotation)) if (![...keys, ...added].some((k) => k.kid === kid)) delete rotation[kid];
  return { set: { keys: [...keys, ...added], rotation }, added };
}
