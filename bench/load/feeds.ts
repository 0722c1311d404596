import { importJWK, SignJWT } from 'jose';
import type { Feed } from './spec.js';

/** What a feed gives autocannon: a request factory and an answer hook, plus a count of starved requests. */
export interface FeedHooks {
  setupRequest(request: RequestData): RequestData;
  onResponse(status: number, body: string): void;
  /** Switch from warm-up to measurement (feeds with separate material for each). */
  startMeasurement(): void;
  exhausted(): number;
}

export interface RequestData {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  [key: string]: unknown;
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

export async function makeFeed(feed: Feed): Promise<FeedHooks> {
  let exhausted = 0;
  switch (feed.kind) {
    case 'refresh-chain': {
      const queue = [...feed.tokens];
      return {
        setupRequest(request) {
          const token = queue.shift();
          if (!token) exhausted++;
          const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token ?? 'exhausted', client_id: feed.clientId }).toString();
          return { ...request, method: 'POST', headers: { ...request.headers, ...FORM }, body };
        },
        onResponse(status, body) {
          if (status !== 200) return;
          const next = (JSON.parse(body) as { refresh_token?: string }).refresh_token;
          if (next) queue.push(next);
        },
        startMeasurement() {},
        exhausted: () => exhausted,
      };
    }
    case 'codes': {
      let queue = [...feed.warmup];
      return {
        setupRequest(request) {
          const item = queue.shift();
          if (!item) exhausted++;
          const body = new URLSearchParams({
            grant_type: 'authorization_code',
            code: item?.code ?? 'exhausted',
            code_verifier: item?.verifier ?? 'x',
            redirect_uri: feed.redirectUri,
          }).toString();
          return { ...request, method: 'POST', headers: { ...request.headers, ...FORM }, body };
        },
        onResponse() {},
        startMeasurement() {
          queue = [...feed.measure];
          exhausted = 0;
        },
        exhausted: () => exhausted,
      };
    }
    case 'logins': {
      let next = 0;
      const bodies = feed.emails.map((email) => JSON.stringify({ email, password: feed.password }));
      return {
        setupRequest(request) {
          const body = bodies[next++ % bodies.length]!;
          return { ...request, method: 'POST', headers: { ...request.headers, 'content-type': 'application/json' }, body };
        },
        onResponse() {},
        startMeasurement() {},
        exhausted: () => 0,
      };
    }
    case 'distinct-bearer': {
      const key = await importJWK(feed.privateJwk, feed.alg);
      const now = Math.floor(Date.now() / 1000);
      const tokens: string[] = [];
      for (let i = 0; i < feed.count; i++) {
        tokens.push(
          await new SignJWT({ ...feed.claims, jti: `bench-${i}` })
            .setProtectedHeader({ alg: feed.alg, typ: 'at+jwt', kid: feed.privateJwk.kid })
            .setIssuedAt(now)
            .setExpirationTime(now + 3600)
            .sign(key),
        );
      }
      let next = 0;
      return {
        setupRequest(request) {
          if (next >= tokens.length) exhausted++;
          const token = tokens[next++ % tokens.length]!;
          return { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } };
        },
        onResponse() {},
        startMeasurement() {},
        exhausted: () => exhausted,
      };
    }
  }
}
