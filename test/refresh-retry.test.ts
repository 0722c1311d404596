import assert from 'node:assert/strict';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { PASSWORD, startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { authorizeWithoutBrowser } from './helpers/browserless-login.js';
import { configDirWith } from './helpers/config-dir.js';
import { testEngines } from './helpers/test-database.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
const PARALLEL = 8;
const SHORT_WINDOW_SECONDS = 2;

interface Client {
  id: string;
  secret: string;
}
interface Answer {
  status: number;
  body: Record<string, string>;
}

/**
 * tokens.refresh_token_reuse_grace_seconds (src/oidc/refresh-retry.ts): a client whose answer to a refresh
 * got lost (a dropped connection, a killed instance) retries with the token it still holds and gets the
 * successor that was already issued, instead of being signed out by reuse detection. Everything else that
 * presents a rotated token still revokes the grant (RFC 9700 §4.14.2).
 */
for (const engine of testEngines()) {
  describe(`a retried refresh gets the same successor on ${engine}`, function () {
    this.timeout(180_000);

    /** A server with the given window (none: the shipped default), a user and two confidential apps. */
    async function serverWithWindow(graceSeconds?: number) {
      const env: Record<string, string> =
        graceSeconds === undefined ? {} : { CONFIG_DIR: configDirWith({ auth_config: { tokens: { refresh_token_reuse_grace_seconds: graceSeconds } } }) };
      const as = await startAuthServer(engine, env);
      await as.createUser('retry@example.com', 'student');
      const app = await as.createClient({ name: 'Retrying App', grant: 'authorization_code', redirectUris: [REDIRECT] });
      const other = await as.createClient({ name: 'Other App', grant: 'authorization_code', redirectUris: [REDIRECT] });
      return { as, app: { id: app.client.client_id, secret: app.secret! }, other: { id: other.client.client_id, secret: other.secret! } };
    }

    let standard: Awaited<ReturnType<typeof serverWithWindow>>;
    let short: Awaited<ReturnType<typeof serverWithWindow>>;
    let none: Awaited<ReturnType<typeof serverWithWindow>>;

    async function token(as: TestAuthServer, client: Client, params: Record<string, string>): Promise<Answer> {
      const response = await fetch(`${as.issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
        },
        body: new URLSearchParams(params),
      });
      return { status: response.status, body: (await response.json()) as Record<string, string> };
    }
    const refresh = (as: TestAuthServer, client: Client, refreshToken: string) =>
      token(as, client, { grant_type: 'refresh_token', refresh_token: refreshToken });

    /** A fresh sign-in of the app: a new grant, session and first refresh token. */
    async function signIn(as: TestAuthServer, client: Client): Promise<string> {
      const flow = await authorizeWithoutBrowser(as.issuer, { clientId: client.id, redirectUri: REDIRECT, email: 'retry@example.com', password: PASSWORD });
      const issued = await token(as, client, {
        grant_type: 'authorization_code',
        code: flow.callback.searchParams.get('code')!,
        redirect_uri: REDIRECT,
        code_verifier: flow.codeVerifier,
      });
      assert.equal(issued.status, 200, JSON.stringify(issued.body));
      return issued.body.refresh_token!;
    }

    async function rotated(as: TestAuthServer, client: Client, refreshToken: string): Promise<string> {
      const answer = await refresh(as, client, refreshToken);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.ok(answer.body.refresh_token && answer.body.refresh_token !== refreshToken, 'a new refresh token');
      return answer.body.refresh_token;
    }

    function assertRefused(answer: Answer, why: string) {
      assert.equal(answer.status, 400, `${why}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.error, 'invalid_grant', why);
      assert.equal(answer.body.refresh_token, undefined, why);
    }

    async function grantOf(as: TestAuthServer, refreshToken: string): Promise<string> {
      const { rows } = await as.db.knex.raw<{ rows: { grant_id: string }[] }>("select grant_id from oidc_payloads where model = 'RefreshToken' and id = ?", [
        refreshToken,
      ]);
      assert.ok(rows[0], 'the refresh token is stored');
      return rows[0].grant_id;
    }

    /** The refresh tokens ever stored for a grant (consumed ones stay until they expire) and which are live. */
    async function chainOf(as: TestAuthServer, grantId: string): Promise<{ all: number; live: string[] }> {
      const { rows } = await as.db.knex.raw<{ rows: { id: string; consumed: boolean }[] }>(
        "select id, consumed_at is not null as consumed from oidc_payloads where model = 'RefreshToken' and grant_id = ?",
        [grantId],
      );
      return { all: rows.length, live: rows.filter((r) => !r.consumed).map((r) => r.id) };
    }

    async function sessionOf(as: TestAuthServer, grantId: string): Promise<{ revoked_reason: string | null } | undefined> {
      const { rows } = await as.db.knex.raw<{ rows: { revoked_reason: string | null }[] }>('select revoked_reason from user_sessions where grant_id = ?', [
        grantId,
      ]);
      return rows[0];
    }

    /** A revoked grant ends its session just after the answer (create-provider.ts, endSessionOf): wait for it. */
    async function assertSessionEnds(as: TestAuthServer, grantId: string): Promise<void> {
      const deadline = Date.now() + 10_000;
      while (!(await sessionOf(as, grantId))?.revoked_reason) {
        assert.ok(Date.now() < deadline, 'the session ended');
        await sleep(50);
      }
    }

    /**
     * Sends a refresh through a connection that drops as soon as the answer starts: the server rotated the
     * token, the client never learns the successor (what a killed instance or a dropped connection does).
     */
    async function refreshLosingTheAnswer(as: TestAuthServer, client: Client, refreshToken: string): Promise<void> {
      const dropper = net.createServer((socket) => {
        const upstream = net.connect(Number(new URL(as.issuer).port), '127.0.0.1');
        socket.pipe(upstream);
        upstream.once('data', () => {
          socket.destroy();
          upstream.destroy();
        });
        socket.on('error', () => upstream.destroy());
        upstream.on('error', () => socket.destroy());
      });
      await new Promise<void>((resolve) => dropper.listen(0, '127.0.0.1', resolve));
      try {
        const outcome = await fetch(`http://127.0.0.1:${(dropper.address() as net.AddressInfo).port}/token`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
          },
          body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
        }).then(
          async (r) => `answered ${r.status}: ${await r.text()}`,
          () => 'lost',
        );
        assert.equal(outcome, 'lost');
      } finally {
        await new Promise((resolve) => dropper.close(resolve));
      }
    }

    describe('with the default window (30 s)', () => {
      before(async () => {
        standard = await serverWithWindow();
      });
      after(() => standard?.as.stop());

      it('a retry of the just-rotated token by the same client, within the window, gets the same successor; the chain goes on from it', async () => {
        const { as, app } = standard;
        const first = await signIn(as, app);
        const grantId = await grantOf(as, first);
        const successor = await rotated(as, app, first);
        const { rows } = await as.db.knex.raw<{ rows: { payload: object }[] }>("select payload from oidc_payloads where model = 'RefreshToken' and id = ?", [
          first,
        ]);
        assert.ok(rows[0] && !JSON.stringify(rows[0]).includes(successor), 'the rotated row does not hold its successor: it is computed');

        // the answer was lost: the client presents the token it still holds
        const retry = await refresh(as, app, first);
        assert.equal(retry.status, 200, JSON.stringify(retry.body));
        assert.equal(retry.body.refresh_token, successor, 'the successor already issued, not a second one');
        assert.ok(retry.body.access_token, 'with an access token');
        assert.deepEqual((await chainOf(as, grantId)).live, [successor], 'one live refresh token: no branch in the chain');
        assert.match(as.server.output(), new RegExp(`"grantId":"${grantId}"[^\n]*answered with the successor already issued`), 'the retry is logged');

        const next = await rotated(as, app, successor);
        await rotated(as, app, next);
        assert.equal((await sessionOf(as, grantId))?.revoked_reason, null, 'the session lives on');
      });

      it('a retry whose successor is no longer stored (expired, cleaned up) is a replay: the grant is revoked', async () => {
        // rotation consumes the token and inserts its successor in one statement, so a consumed token without a
        // stored successor is not a lost answer: its successor ended some other way
        const { as, app } = standard;
        const first = await signIn(as, app);
        const grantId = await grantOf(as, first);
        const successor = await rotated(as, app, first);
        await as.db.knex.raw("delete from oidc_payloads where model = 'RefreshToken' and id = ?", [successor]);
        assertRefused(await refresh(as, app, first), 'a retry without a successor');
        await assertSessionEnds(as, grantId);
      });

      it('an answer lost on the wire: the client retries with the token it holds and stays signed in', async () => {
        const { as, app } = standard;
        const first = await signIn(as, app);
        const grantId = await grantOf(as, first);
        await refreshLosingTheAnswer(as, app, first);
        const { live } = await chainOf(as, grantId);
        assert.equal(live.length, 1, 'the server rotated the token');
        const retry = await refresh(as, app, first);
        assert.equal(retry.status, 200, JSON.stringify(retry.body));
        assert.deepEqual([retry.body.refresh_token], live, 'the successor the lost answer carried');
        await rotated(as, app, retry.body.refresh_token!);
        assert.equal((await sessionOf(as, grantId))?.revoked_reason, null, 'still signed in');
      });

      it('the account API (/api/auth/refresh) answers a retry the same way', async () => {
        const { as } = standard;
        const api = (path: string, body: object) =>
          fetch(`${as.issuer}/api${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({
            status: r.status,
            body: (await r.json()) as Record<string, string>,
          }));
        const login = await api('/auth/login', { email: 'retry@example.com', password: PASSWORD });
        assert.equal(login.status, 200, JSON.stringify(login.body));
        const first = await api('/auth/refresh', { refresh_token: login.body.refresh_token });
        assert.equal(first.status, 200, JSON.stringify(first.body));
        const retry = await api('/auth/refresh', { refresh_token: login.body.refresh_token });
        assert.equal(retry.status, 200, JSON.stringify(retry.body));
        assert.equal(retry.body.refresh_token, first.body.refresh_token);
        const next = await api('/auth/refresh', { refresh_token: first.body.refresh_token });
        assert.equal(next.status, 200, JSON.stringify(next.body));
      });

      it('a replay after the successor was used revokes the grant, even within the window', async () => {
        const { as, app } = standard;
        const first = await signIn(as, app);
        const grantId = await grantOf(as, first);
        const successor = await rotated(as, app, first);
        const next = await rotated(as, app, successor);
        assertRefused(await refresh(as, app, first), 'a token two rotations back');
        assertRefused(await refresh(as, app, next), 'the chain after the replay');
        await assertSessionEnds(as, grantId);
      });

      it('another client presenting the rotated token gets invalid_grant and nothing; the owner keeps its chain', async () => {
        const { as, app, other } = standard;
        const first = await signIn(as, app);
        const grantId = await grantOf(as, first);
        const successor = await rotated(as, app, first);
        assertRefused(await refresh(as, other, first), 'another client, the rotated token');
        assertRefused(await refresh(as, other, successor), 'another client, the live token');
        // a client cannot end another client's grant (as at the revocation endpoint): the owner goes on
        assert.equal((await refresh(as, app, first)).body.refresh_token, successor);
        await rotated(as, app, successor);
        assert.equal((await sessionOf(as, grantId))?.revoked_reason, null);
      });

      it('the window does not outlive the session: a retry after the session went idle, or after revocation, is invalid_grant', async () => {
        const { as, app } = standard;
        const idle = await signIn(as, app);
        const idleGrant = await grantOf(as, idle);
        await rotated(as, app, idle);
        await as.db.knex.raw("update user_sessions set last_used_at = now() - interval '1 day' where grant_id = ?", [idleGrant]);
        assertRefused(await refresh(as, app, idle), 'a retry for an idle session');

        const revoked = await signIn(as, app);
        const successor = await rotated(as, app, revoked);
        const revocation = await fetch(`${as.issuer}/token/revocation`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${app.id}:${app.secret}`).toString('base64')}` },
          body: new URLSearchParams({ token: successor, token_type_hint: 'refresh_token' }),
        });
        assert.equal(revocation.status, 200);
        assertRefused(await refresh(as, app, revoked), 'a retry after the successor was revoked');
      });

      it(`${PARALLEL} concurrent presentations of one token: every success carries the same successor, and only one is stored`, async () => {
        const { as, app } = standard;
        for (let round = 0; round < 3; round++) {
          const first = await signIn(as, app);
          const grantId = await grantOf(as, first);
          const answers = await Promise.all(Array.from({ length: PARALLEL }, () => refresh(as, app, first)));
          assert.deepEqual(
            answers.filter((a) => a.status !== 200),
            [],
            'each presentation is a retry of the same refresh',
          );
          const successors = new Set(answers.map((a) => a.body.refresh_token));
          assert.equal(successors.size, 1, `one successor, got ${successors.size}`);
          const [successor] = successors;
          assert.deepEqual(await chainOf(as, grantId), { all: 2, live: [successor] });

          // and once more, retries racing after the rotation finished
          const retries = await Promise.all(Array.from({ length: PARALLEL }, () => refresh(as, app, first)));
          assert.deepEqual(new Set(retries.map((a) => a.body.refresh_token)), new Set([successor]));
          const next = await rotated(as, app, successor!);
          assert.deepEqual(await chainOf(as, grantId), { all: 3, live: [next] });
        }
      });
    });

    describe(`with a ${SHORT_WINDOW_SECONDS} s window`, () => {
      before(async () => {
        short = await serverWithWindow(SHORT_WINDOW_SECONDS);
      });
      after(() => short?.as.stop());

      it('within the window, a retry still works on the short-window server', async () => {
        const { as, app } = short;
        const first = await signIn(as, app);
        const successor = await rotated(as, app, first);
        assert.equal((await refresh(as, app, first)).body.refresh_token, successor);
      });

      it(`a replay after the window (${SHORT_WINDOW_SECONDS} s here) revokes the grant: the successor dies and the session ends`, async () => {
        const { as, app } = short;
        const first = await signIn(as, app);
        const grantId = await grantOf(as, first);
        const successor = await rotated(as, app, first);
        await sleep(SHORT_WINDOW_SECONDS * 1000 + 700);
        assertRefused(await refresh(as, app, first), 'a replay after the window');
        assertRefused(await refresh(as, app, successor), 'the successor of a replayed token');
        await assertSessionEnds(as, grantId);
      });
    });

    describe('with the window set to 0', () => {
      before(async () => {
        none = await serverWithWindow(0);
      });
      after(() => none?.as.stop());

      it('an answer lost on the wire signs the user out, as before the window (the measured problem)', async () => {
        const { as, app } = none;
        const first = await signIn(as, app);
        const grantId = await grantOf(as, first);
        await refreshLosingTheAnswer(as, app, first);
        assertRefused(await refresh(as, app, first), 'the retry');
        await assertSessionEnds(as, grantId);
      });

      it('with the window set to 0, a retry revokes the grant as before', async () => {
        const { as, app } = none;
        const first = await signIn(as, app);
        const grantId = await grantOf(as, first);
        const successor = await rotated(as, app, first);
        assertRefused(await refresh(as, app, first), 'a retry without a window');
        assertRefused(await refresh(as, app, successor), 'the successor of a replayed token');
        await assertSessionEnds(as, grantId);
      });
    });
  });
}
