import type { JWK } from 'jose';

/** One load run, as the orchestrator asks the load-generator child for it (sent over IPC, so plain data). */
export interface LoadSpec {
  label: string;
  /** Origin of the server under load, e.g. http://127.0.0.1:3000 (loopback only). */
  origin: string;
  path: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  /** Load before the measurement, thrown away; 0 for none. */
  warmupSeconds: number;
  /** Measure for this long... */
  durationSeconds?: number;
  /** ...or for exactly this many requests (used when each request consumes something pre-made). */
  amount?: number;
  warmupAmount?: number;
  /** Per-request bodies or headers made in the child (see feeds.ts). */
  feed?: Feed;
  /** Seconds before a request counts as timed out. */
  timeoutSeconds?: number;
  /** The server process's pid: its CPU time over the measured slices is reported per request. */
  serverPid?: number;
}

export interface AuthorizationCodeItem {
  code: string;
  verifier: string;
}

export type Feed =
  /** refresh_token grants: every token is sent once; each answer's new refresh token goes back into the queue. */
  | { kind: 'refresh-chain'; tokens: string[]; clientId: string }
  /** authorization_code grants: each code once, warm-up codes first. */
  | { kind: 'codes'; warmup: AuthorizationCodeItem[]; measure: AuthorizationCodeItem[]; redirectUri: string }
  /** Password logins (JSON API), round-robin over the users. */
  | { kind: 'logins'; emails: string[]; password: string }
  /** A different, valid access token on every request: signed in the child before the run starts. */
  | { kind: 'distinct-bearer'; privateJwk: JWK; alg: string; claims: Record<string, unknown>; count: number };

export interface StatusStats {
  count: number;
  p50: number;
  p99: number;
  max: number;
  /** Answers of this status that carried a Retry-After header. */
  withRetryAfter: number;
}

export interface LoadResult {
  label: string;
  /** 2xx answers in the measurement. */
  ok: number;
  total: number;
  seconds: number;
  /** 2xx answers per second. */
  rps: number;
  /** Latency of every answer in the measurement, ms. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  byStatus: Record<string, StatusStats>;
  /** Connection errors and timeouts. */
  errors: number;
  timeouts: number;
  /** Requests sent after the feed ran dry (each is a failure on purpose). */
  feedExhausted: number;
  /** CPU time of the server process (all its threads) per answered request, ms; when serverPid was given. */
  serverCpuMsPerRequest?: number;
}
