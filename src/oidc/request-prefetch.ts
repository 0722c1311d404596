import type { UserRow } from '../accounts/users-repository.js';
import type { StoredPayload } from './payloads-repository.js';

/**
 * What one statement read ahead for the rest of the request, so the provider's later lookups (the grant,
 * the account) cost no round trip. Keyed by the request's context object and taken once: a later lookup in
 * the same request, after a change, reads the database again.
 */
export interface PrefetchedAccount {
  userId: string;
  grantId: string;
  user: UserRow | undefined;
  /** the grant's active session (refresh), or the one this request started (code) */
  sessionId: string | null;
}

interface Prefetched {
  grants: Map<string, StoredPayload | undefined>;
  account?: PrefetchedAccount;
}

const byRequest = new WeakMap<object, Prefetched>();

function of(request: object): Prefetched {
  const prefetched = byRequest.get(request) ?? { grants: new Map() };
  byRequest.set(request, prefetched);
  return prefetched;
}

export function prefetchGrant(request: object, grantId: string, row: StoredPayload | undefined): void {
  of(request).grants.set(grantId, row);
}

/** The grant read ahead in this request: `{ row }` (row undefined when it does not exist), or undefined when not read ahead. */
export function takePrefetchedGrant(request: object, grantId: string): { row: StoredPayload | undefined } | undefined {
  const grants = byRequest.get(request)?.grants;
  if (!grants?.has(grantId)) return undefined;
  const row = grants.get(grantId);
  grants.delete(grantId);
  return { row };
}

export function prefetchAccount(request: object, account: PrefetchedAccount): void {
  of(request).account = account;
}

/** The user and session read ahead (or started) for this user and grant in this request, if any. */
export function takePrefetchedAccount(request: object, userId: string, grantId: string): PrefetchedAccount | undefined {
  const prefetched = byRequest.get(request);
  const account = prefetched?.account;
  if (!account || account.userId !== userId || account.grantId !== grantId) return undefined;
  prefetched.account = undefined;
  return account;
}
