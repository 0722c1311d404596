import { queryCounterClient } from '../../test/helpers/query-counter.js';
import { apiLogin, mintCode, postForm, signIn } from '../http.js';
import type { AuthorizationCodeItem } from '../load/spec.js';
import type { RoundTrips } from '../results.js';
import { PASSWORD, REDIRECT_URI, settings } from '../settings.js';
import type { BenchContext } from './context.js';

/**
 * Database round trips per request, counted inside the server process by the query-counter preload
 * (test/helpers/query-counter.ts: one node-postgres query = one round trip; test/round-trips.test.ts checks
 * that against the Postgres wire). Requests are sent one at a time with nothing else running.
 */
export async function roundTrips(ctx: BenchContext): Promise<RoundTrips[]> {
  const counter = queryCounterClient(ctx.counterPort);
  const n = settings.roundTripSamples;
  const origin = ctx.ours.url;
  const expectOk = (what: string) => (answer: { status: number; body: Record<string, unknown> }) => {
    if (answer.status !== 200) throw new Error(`${what} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body;
  };

  async function sample(grant: string, action: (i: number) => Promise<unknown>): Promise<RoundTrips> {
    const samples: number[] = [];
    let writes = 0;
    let statements: string[] = [];
    for (let i = 0; i < n; i++) {
      const measured = await counter.measure(() => action(i), 100);
      samples.push(measured.count);
      writes += measured.writes;
      if (i === 0) statements = measured.statements;
    }
    return { grant, perRequest: samples.reduce((a, b) => a + b, 0) / n, writes: writes / n, samples, statements };
  }

  ctx.log('database round trips per request');
  const cc = await sample('client_credentials (client in Postgres)', () =>
    postForm(`${origin}/token`, { grant_type: 'client_credentials', scope: 'read write' }, ctx.seeded.machine).then(expectOk('client_credentials')),
  );

  const session = await signIn(origin, ctx.seeded.app.id, ctx.seeded.tripEmails[0]!, PASSWORD);
  const codes: AuthorizationCodeItem[] = [];
  for (let i = 0; i < n; i++) codes.push(await mintCode(session));
  const code = await sample('authorization_code', (i) =>
    postForm(
      `${origin}/token`,
      { grant_type: 'authorization_code', code: codes[i]!.code, code_verifier: codes[i]!.verifier, redirect_uri: REDIRECT_URI },
      ctx.seeded.app,
    ).then(expectOk('authorization_code')),
  );
  const mint = await sample('GET /auth with a signed-in session (makes a code)', () => mintCode(session));

  let refreshToken = (await apiLogin(origin, ctx.seeded.tripEmails[1]!, PASSWORD)).refresh_token;
  const refresh = await sample('refresh_token with rotation', async () => {
    const body = expectOk('refresh')(
      await postForm(`${origin}/token`, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'auth-connect' }),
    );
    refreshToken = body.refresh_token as string;
  });

  // each sample logs in a user with no session yet: a user already at max_sessions_per_user costs 2 more (end the oldest, audit it)
  const login = await sample('password login (POST /api/auth/login)', (i) => apiLogin(origin, ctx.seeded.tripEmails[i]!, PASSWORD));
  return [cc, code, refresh, login, mint];
}
