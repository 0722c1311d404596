import { BARE_CLIENTS } from '../anchor/bare-clients.js';
import { apiLogin, basicAuth, mintCode, signIn } from '../http.js';
import { runInterleaved } from '../load/run-load.js';
import type { AuthorizationCodeItem, LoadResult, LoadSpec } from '../load/spec.js';
import { PASSWORD, REDIRECT_URI, settings } from '../settings.js';
import type { BenchProcess } from '../processes.js';
import type { BenchContext } from './context.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const CC_BODY = new URLSearchParams({ grant_type: 'client_credentials', scope: 'read write' }).toString();

function tokenLoad(label: string, server: BenchProcess, extra: Partial<LoadSpec>): LoadSpec {
  return {
    label,
    origin: server.url,
    serverPid: server.child.pid,
    path: '/token',
    method: 'POST',
    connections: settings.connections,
    warmupSeconds: settings.warmupSeconds,
    durationSeconds: settings.durationSeconds,
    ...(settings.smoke ? smokeAmounts() : {}),
    ...extra,
  };
}

/** A smoke run's token loads: a fixed number of requests and no warm-up (settings.smokeRequestsPerConnection). */
function smokeAmounts(): Partial<LoadSpec> {
  return { warmupSeconds: 0, durationSeconds: undefined, amount: settings.smokeRequestsPerConnection * settings.connections };
}

/** auth-connect and the anchor measured in alternating slices, with auth-connect's RSS sampled throughout. */
async function compare(ctx: BenchContext, ours: LoadSpec, bare: LoadSpec): Promise<{ ours: LoadResult; bare: LoadResult }> {
  const [o, b] = await ctx.underLoad(() => runInterleaved([ours, bare], settings.rounds));
  return { ours: o!, bare: b! };
}

/** client_credentials: a client registered in Postgres with a hashed secret vs the anchor's static client. */
export async function clientCredentials(ctx: BenchContext): Promise<{ ours: LoadResult; bare: LoadResult }> {
  ctx.log('client_credentials: auth-connect and bare oidc-provider, interleaved');
  return compare(
    ctx,
    tokenLoad('client_credentials (auth-connect)', ctx.ours, { headers: { ...FORM, authorization: basicAuth(ctx.seeded.machine) }, body: CC_BODY }),
    tokenLoad('client_credentials (bare)', ctx.bare, { headers: { ...FORM, authorization: basicAuth(BARE_CLIENTS.machine) }, body: CC_BODY }),
  );
}

/**
 * refresh_token with rotation. Every refresh token is used once: the load generator starts from a pool (logins
 * through POST /api/auth/login here; tokens made through the provider's models on the anchor) and sends each
 * answer's new refresh token in a later request. When a slice stops, the requests in flight are abandoned and
 * their new tokens lost (up to one per connection), so the pool holds a token per connection for every slice
 * and then some.
 */
export async function refresh(ctx: BenchContext): Promise<{ ours: LoadResult; bare: LoadResult; pool: number }> {
  const perUser = 4; // below the default max_sessions_per_user (5): no login ends another's session
  // a timed slice abandons up to one token per connection when it stops; a smoke run's loads are counted, and
  // every request it sends gets its answer
  const needed = settings.connections * (settings.smoke ? 2 : settings.rounds + 3);
  // each login is a full-cost argon2 verification (a second or more per 16 on two cores): a smoke run makes
  // only the pool it needs, the full bench a pool of every seeded user
  const emails = settings.smoke ? ctx.seeded.refreshEmails.slice(0, Math.ceil(needed / perUser)) : ctx.seeded.refreshEmails;
  const tokens: string[] = [];
  for (const email of emails) {
    const logins = await Promise.all(Array.from({ length: perUser }, () => apiLogin(ctx.ours.url, email, PASSWORD)));
    tokens.push(...logins.map((l) => l.refresh_token));
  }
  if (tokens.length < needed) throw new Error(`a pool of ${tokens.length} refresh tokens is too small for ${settings.rounds} rounds`);
  const bareTokens = (await (await fetch(`${ctx.bare.url}/bench/seed?kind=refresh&n=${tokens.length}`, { method: 'POST' })).json()) as string[];
  ctx.log(`refresh_token: auth-connect and bare oidc-provider, interleaved (pool of ${tokens.length} each)`);
  const result = await compare(
    ctx,
    tokenLoad('refresh_token (auth-connect)', ctx.ours, { feed: { kind: 'refresh-chain', tokens, clientId: 'auth-connect' } }),
    tokenLoad('refresh_token (bare)', ctx.bare, { feed: { kind: 'refresh-chain', tokens: bareTokens, clientId: BARE_CLIENTS.publicClient.id } }),
  );
  return { ...result, pool: tokens.length };
}

/**
 * authorization_code redemption. Codes come from the real flow: each of a few users signs in once on our login
 * page (first-party client, so no consent page), then every GET /auth with that browser's cookies answers with
 * a new code. Codes live 60 s, so they are made for a fixed time and redeemed at once, each once: a fifth
 * as warm-up, the rest measured (a fixed number of requests, not a fixed time); the anchor redeems codes made
 * through its models, at least as many.
 */
export async function codes(ctx: BenchContext): Promise<{ ours: LoadResult; bare: LoadResult; minted: number; mintSeconds: number }> {
  const sessions = await Promise.all(ctx.seeded.codeEmails.map((email) => signIn(ctx.ours.url, ctx.seeded.app.id, email, PASSWORD)));
  const minted: AuthorizationCodeItem[] = [];
  const started = performance.now();
  const deadline = started + settings.codeMintSeconds * 1000;
  await Promise.all(
    Array.from({ length: settings.connections }, async (_, i) => {
      const session = sessions[i % sessions.length]!;
      while (performance.now() < deadline) minted.push(await mintCode(session));
    }),
  );
  const mintSeconds = (performance.now() - started) / 1000;
  const warmupCount = settings.smoke ? 0 : Math.max(settings.connections, Math.floor(minted.length / 5));
  const warmup = minted.slice(0, warmupCount);
  const measure = minted.slice(warmupCount);
  // the anchor redeems at least settings.anchorCodes, so its rate is measured over more than a blink
  const bareCount = Math.max(settings.anchorCodes, measure.length);
  const bareWarmup = settings.anchorCodesWarmup;
  const seeded = (await (
    await fetch(`${ctx.bare.url}/bench/seed?kind=codes&n=${bareCount + bareWarmup}`, { method: 'POST' })
  ).json()) as AuthorizationCodeItem[];
  ctx.log(`authorization_code: auth-connect (${minted.length} codes made in ${mintSeconds.toFixed(1)} s) and bare oidc-provider, interleaved`);
  const byAmount = { warmupSeconds: 0, durationSeconds: undefined };
  const result = await compare(
    ctx,
    tokenLoad('authorization_code (auth-connect)', ctx.ours, {
      ...byAmount,
      headers: { ...FORM, authorization: basicAuth(ctx.seeded.app) },
      warmupAmount: warmup.length,
      amount: measure.length,
      feed: { kind: 'codes', warmup, measure, redirectUri: REDIRECT_URI },
    }),
    tokenLoad('authorization_code (bare)', ctx.bare, {
      ...byAmount,
      headers: { ...FORM, authorization: basicAuth(BARE_CLIENTS.app) },
      warmupAmount: bareWarmup,
      amount: bareCount,
      feed: { kind: 'codes', warmup: seeded.slice(0, bareWarmup), measure: seeded.slice(bareWarmup), redirectUri: REDIRECT_URI },
    }),
  );
  return { ...result, minted: minted.length, mintSeconds };
}
