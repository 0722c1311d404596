import assert from 'node:assert/strict';
import { PASSWORD, startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { authorizeWithoutBrowser } from './helpers/browserless-login.js';
import { configDirWith } from './helpers/config-dir.js';
import { testEngines } from './helpers/test-database.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
const PARALLEL = 8;

for (const engine of testEngines()) {
  describe(`exactly-once redemption on ${engine}`, function () {
    this.timeout(120_000);
    let as: TestAuthServer;
    let client: { id: string; secret: string };

    before(async () => {
      // without the retry window, every presentation after the first is a replay: this is the strict
      // exactly-once rule. With it, concurrent presentations by the same client all get the one successor
      // (test/refresh-retry.test.ts); codes have no window either way.
      as = await startAuthServer(engine, { CONFIG_DIR: configDirWith({ auth_config: { tokens: { refresh_token_reuse_grace_seconds: 0 } } }) });
      await as.createUser('racer@example.com', 'student');
      const created = await as.createClient({ name: 'Racing App', grant: 'authorization_code', redirectUris: [REDIRECT] });
      client = { id: created.client.client_id, secret: created.secret! };
    });
    after(() => as?.stop());

    const token = (params: Record<string, string>) =>
      fetch(`${as.issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
        },
        body: new URLSearchParams(params),
      });

    async function race(params: Record<string, string>) {
      const responses = await Promise.all(Array.from({ length: PARALLEL }, () => token(params)));
      const bodies = await Promise.all(responses.map((r) => r.json() as Promise<Record<string, string>>));
      return responses.map((r, i) => ({ status: r.status, body: bodies[i]! }));
    }

    async function code() {
      const flow = await authorizeWithoutBrowser(as.issuer, { clientId: client.id, redirectUri: REDIRECT, email: 'racer@example.com', password: PASSWORD });
      return { grant_type: 'authorization_code', code: flow.callback.searchParams.get('code')!, redirect_uri: REDIRECT, code_verifier: flow.codeVerifier };
    }

    it(`one authorization code redeemed ${PARALLEL} times at once: one success, the rest invalid_grant, no 5xx`, async () => {
      for (let round = 0; round < 3; round++) {
        const results = await race(await code());
        assert.deepEqual(
          results.filter((r) => r.status >= 500),
          [],
        );
        const winners = results.filter((r) => r.status === 200);
        assert.equal(winners.length, 1, JSON.stringify(results.map((r) => r.status)));
        for (const loser of results.filter((r) => r.status !== 200)) {
          assert.equal(loser.status, 400);
          assert.equal(loser.body.error, 'invalid_grant');
        }
        // the replay revoked the grant: the winner's refresh token is dead too (RFC 6749 §4.1.2)
        const after = await token({ grant_type: 'refresh_token', refresh_token: winners[0]!.body.refresh_token! });
        assert.equal(after.status, 400);
      }
    });

    it(`one refresh token used ${PARALLEL} times at once: one success, the rest invalid_grant, no second chain`, async () => {
      for (let round = 0; round < 3; round++) {
        const issued = (await (await token(await code())).json()) as Record<string, string>;
        const results = await race({ grant_type: 'refresh_token', refresh_token: issued.refresh_token! });
        assert.deepEqual(
          results.filter((r) => r.status >= 500),
          [],
        );
        const winners = results.filter((r) => r.status === 200);
        assert.equal(winners.length, 1, JSON.stringify(results.map((r) => r.status)));
        for (const loser of results.filter((r) => r.status !== 200)) assert.equal(loser.body.error, 'invalid_grant');
        const next = await token({ grant_type: 'refresh_token', refresh_token: winners[0]!.body.refresh_token! });
        assert.equal(next.status, 400, 'the chain ended with the replay');
      }
    });

    it('leaves no usable refresh token after the races (an unconsumed token whose grant still exists)', async () => {
      // a winner may store its refresh token just after a loser revoked the grant; without its grant it is dead
      const { rows } = await as.db.knex.raw<{ rows: { live: number }[] }>(
        `select count(*)::int as live from oidc_payloads rt
          where rt.model = 'RefreshToken' and rt.consumed_at is null
            and exists (select 1 from oidc_payloads g where g.model = 'Grant' and g.id = rt.grant_id)`,
      );
      assert.equal(rows[0]!.live, 0);
    });
  });
}
