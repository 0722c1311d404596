import { randomBytes, randomUUID } from 'node:crypto';
import knexFactory, { type Knex } from 'knex';
import { loadConfig } from '../../src/config/load-config.js';
import { findCodeWithContext, findRefreshTokenWithContext } from '../../src/oidc/grant-source-repository.js';
import { upsertPayload } from '../../src/oidc/payloads-repository.js';
import { rotateRefreshToken } from '../../src/oidc/refresh-rotation-repository.js';
import { newSuccessorSeed, successorIdFrom } from '../../src/oidc/successor-id.js';
import { consumeCodeStartingSession, startSessionWithinLimit } from '../../src/sessions/sessions-repository.js';
import { settings } from '../settings.js';
import type { BenchContext } from './context.js';

/** Operations per second of the database work alone, and how long it ran. */
export interface AloneResult {
  label: string;
  rps: number;
  ok: number;
  seconds: number;
}

const POOL_SIZE = 10; // the server's default pool (src/db/open-database.ts)
const DAY_MS = 86_400_000;
const id = () => randomBytes(32).toString('base64url');

/**
 * "Postgres alone": the statements one refresh and one code redemption make, through the same repository
 * functions and a pool of the server's size, at the load generator's concurrency, with no HTTP, no provider
 * and no JSON or JWT work. What the database itself allows for these grants on this machine: the ceiling
 * our rows are compared with.
 */
export async function postgresAlone(ctx: BenchContext): Promise<{ refresh: AloneResult; codes: AloneResult }> {
  const config = loadConfig({ CONFIG_DIR: ctx.configDir, DATABASE_URL: ctx.databaseUrl });
  const knex = knexFactory({ client: 'pg', connection: ctx.databaseUrl, pool: { min: 0, max: POOL_SIZE } });
  const { session_timeout_minutes: sessionTimeoutMinutes, max_sessions_per_user: keep } = config.auth.session;
  const limit = { keep, timeoutMinutes: sessionTimeoutMinutes };
  const expiresAt = () => new Date(Date.now() + 14 * DAY_MS);
  try {
    const userIds = await usersOf(knex, ctx.seeded.refreshEmails);
    const codeUserIds = await usersOf(knex, ctx.seeded.codeEmails);
    const successorOf = successorIdFrom(randomBytes(32).toString('base64url'));

    // refresh: one chain per connection, each with its grant and session, as a login leaves them
    const chains = await Promise.all(
      Array.from({ length: settings.connections }, async (_, i) => {
        const userId = userIds[i % userIds.length]!;
        const grantId = id();
        await upsertPayload(knex, { model: 'Grant', id: grantId, payload: grantPayload(userId, grantId), grantId, expiresAt: expiresAt() });
        const sessionId = await startSessionWithinLimit(
          knex,
          { userId, clientId: 'auth-connect', grantId, ip: '127.0.0.1', userAgent: 'bench', expiresAt: expiresAt() },
          { ...limit, keep: 1_000 },
        );
        const token = { id: id(), seed: newSuccessorSeed() };
        await upsertPayload(knex, {
          model: 'RefreshToken',
          id: token.id,
          payload: refreshPayload(userId, grantId, token.id, 0),
          grantId,
          expiresAt: expiresAt(),
          successorSeed: token.seed,
        });
        return { userId, grantId, sessionId, token, rotations: 0 };
      }),
    );
    ctx.log('Postgres alone: refresh statements (read with grant, user and session; rotate) through pg');
    const refresh = await measure('refresh_token (Postgres alone)', async (worker) => {
      const chain = chains[worker]!;
      const found = await findRefreshTokenWithContext(knex, { id: chain.token.id, graceSeconds: 30, sessionTimeoutMinutes });
      if (!found?.sessionId) throw new Error('the chain broke: no token or no session');
      const successor = { id: successorOf(chain.token.id, chain.token.seed), seed: newSuccessorSeed() };
      chain.rotations += 1;
      const rotation = await rotateRefreshToken(knex, {
        rotatedId: chain.token.id,
        sessionId: found.sessionId,
        sessionTimeoutMinutes,
        successor: {
          id: successor.id,
          payload: refreshPayload(chain.userId, chain.grantId, successor.id, chain.rotations),
          grantId: chain.grantId,
          expiresAt: expiresAt(),
          successorSeed: successor.seed,
        },
      });
      if (!rotation.rotated) throw new Error('a rotation lost: the chains are not independent');
      chain.token = successor;
    });

    // codes: made beforehand (grant and code rows, as the authorization endpoint leaves them), each redeemed once
    const needed = Math.ceil((refresh.rps || 1_000) * (settings.warmupSeconds + settings.durationSeconds) * 1.5) + 1_000;
    const codes: { code: string; grantId: string; userId: string }[] = [];
    for (let i = 0; i < needed; i++) codes.push({ code: id(), grantId: id(), userId: codeUserIds[i % codeUserIds.length]! });
    for (let i = 0; i < codes.length; i += 500) {
      const batch = codes.slice(i, i + 500);
      const rows = batch.flatMap((c) => [
        { model: 'Grant', id: c.grantId, payload: JSON.stringify(grantPayload(c.userId, c.grantId)), grant_id: c.grantId, expires_at: expiresAt() },
        {
          model: 'AuthorizationCode',
          id: c.code,
          payload: JSON.stringify(codePayload(c.userId, c.grantId, c.code)),
          grant_id: c.grantId,
          expires_at: expiresAt(),
        },
      ]);
      await knex('oidc_payloads').insert(rows);
    }
    ctx.log(`Postgres alone: code redemption statements (read with grant and user; consume + session; refresh token) through pg, ${codes.length} codes`);
    let next = 0;
    const codesResult = await measure('authorization_code (Postgres alone)', async () => {
      const item = codes[next++];
      if (!item) throw new Error('ran out of codes');
      const found = await findCodeWithContext(knex, 'AuthorizationCode', item.code);
      if (!found?.user || !found.grant) throw new Error('code, grant or user missing');
      const redeemed = await consumeCodeStartingSession(
        knex,
        { model: 'AuthorizationCode', id: item.code },
        { userId: item.userId, clientId: 'bench', grantId: item.grantId, ip: '127.0.0.1', userAgent: 'bench', expiresAt: expiresAt() },
        limit,
      );
      if (!redeemed.consumed) throw new Error('a code was consumed twice');
      const refreshId = id();
      await upsertPayload(knex, {
        model: 'RefreshToken',
        id: refreshId,
        payload: refreshPayload(item.userId, item.grantId, refreshId, 0),
        grantId: item.grantId,
        expiresAt: expiresAt(),
        successorSeed: newSuccessorSeed(),
      });
    });
    return { refresh, codes: codesResult };
  } finally {
    await knex.destroy();
  }
}

/** Runs `operation` on every connection in a loop: warm-up, then a measured stretch; completed operations per second. */
async function measure(label: string, operation: (worker: number) => Promise<void>): Promise<AloneResult> {
  let counting = false;
  let ok = 0;
  let stop = false;
  const workers = Array.from({ length: settings.connections }, async (_, worker) => {
    while (!stop) {
      await operation(worker);
      if (counting) ok++;
    }
  });
  await new Promise((resolve) => setTimeout(resolve, settings.warmupSeconds * 1000));
  counting = true;
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, settings.durationSeconds * 1000));
  counting = false;
  const seconds = (performance.now() - started) / 1000;
  stop = true;
  await Promise.all(workers);
  return { label, rps: ok / seconds, ok, seconds };
}

async function usersOf(knex: Knex, emails: string[]): Promise<string[]> {
  const rows = await knex('users').whereIn('email', emails).select<{ id: string }[]>('id');
  return rows.map((r) => r.id);
}

const now = () => Math.floor(Date.now() / 1000);

function grantPayload(accountId: string, jti: string) {
  return { iat: now(), exp: now() + 14 * 86_400, accountId, clientId: 'bench', kind: 'Grant', jti, openid: { scope: 'openid offline_access' } };
}

function refreshPayload(accountId: string, grantId: string, jti: string, rotations: number) {
  return {
    iat: now(),
    exp: now() + 14 * 86_400,
    accountId,
    authTime: now(),
    clientId: 'bench',
    grantId,
    gty: 'authorization_code refresh_token',
    kind: 'RefreshToken',
    jti,
    scope: 'openid offline_access',
    sessionUid: randomUUID(),
    rotations,
  };
}

function codePayload(accountId: string, grantId: string, jti: string) {
  return {
    iat: now(),
    exp: now() + 60,
    accountId,
    authTime: now(),
    clientId: 'bench',
    codeChallenge: id(),
    codeChallengeMethod: 'S256',
    grantId,
    kind: 'AuthorizationCode',
    jti,
    redirectUri: 'http://127.0.0.1:9/callback',
    scope: 'openid offline_access',
    sessionUid: randomUUID(),
  };
}
