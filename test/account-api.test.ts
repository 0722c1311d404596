import assert from 'node:assert/strict';
import { createRemoteJWKSet, importJWK, jwtVerify, SignJWT } from 'jose';
import { PASSWORD, startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { jsonApi } from './helpers/json-api.js';
import { testEngines } from './helpers/test-database.js';

const API_KEY_TYPE = 'urn:auth-connect:params:token-type:api-key';
const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

for (const engine of testEngines()) {
  describe(`account API on ${engine}`, function () {
    this.timeout(120_000);
    let as: TestAuthServer;
    let api: ReturnType<typeof jsonApi>;

    before(async () => {
      as = await startAuthServer(engine);
      api = jsonApi(`${as.issuer}/api/auth`);
    });
    after(() => as?.stop());

    const login = async (email: string, password = PASSWORD) => {
      const r = await api('POST', '/login', { email, password });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body as { access_token: string; refresh_token: string; token_type: string; expires_in: number };
    };
    const exchange = (key: string) =>
      fetch(`${as.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: EXCHANGE, client_id: 'auth-connect', subject_token: key, subject_token_type: API_KEY_TYPE }),
      });
    const jwks = () => createRemoteJWKSet(new URL(`${as.issuer}/jwks`));

    describe('register', () => {
      it('creates a student and answers 201 with the user', async () => {
        const r = await api('POST', '/register', { email: 'New@Example.com', password: PASSWORD });
        assert.equal(r.status, 201);
        assert.equal(r.body.email, 'new@example.com');
        assert.equal(r.body.role, 'student');
        assert.deepEqual(r.body.permissions, ['read', 'chat', 'save_progress']);
        assert.equal(r.body.password_hash, undefined);
      });

      it('answers 409 USER_EXISTS for the same email in another case', async () => {
        const r = await api('POST', '/register', { email: 'NEW@example.com', password: PASSWORD });
        assert.deepEqual([r.status, r.body.error], [409, 'USER_EXISTS']);
      });

      it('answers 422 WEAK_PASSWORD listing every rule not met', async () => {
        const r = await api('POST', '/register', { email: 'weak@example.com', password: 'short' });
        assert.equal(r.status, 422);
        assert.equal(r.body.error, 'WEAK_PASSWORD');
        assert.deepEqual(r.body.rules, ['min_length', 'require_uppercase', 'require_digit']);
      });
    });

    describe('login', () => {
      before(async () => {
        await as.createUser('ann@example.com', 'instructor');
        const off = await as.createUser('off@example.com', 'student');
        await as.db.knex('users').where({ id: off.id }).update({ is_active: false });
      });

      it('returns the tokens the token endpoint issues: a JWT for the API and a refresh token', async () => {
        const tokens = await login('ann@example.com');
        assert.equal(tokens.token_type, 'Bearer');
        assert.equal(tokens.expires_in, 1800);
        const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks(), {
          issuer: as.issuer,
          audience: 'urn:auth-connect:api',
          typ: 'at+jwt',
        });
        assert.equal(protectedHeader.alg, 'ES256');
        assert.deepEqual(payload.roles, ['instructor']);
        assert.deepEqual(payload.permissions, ['read', 'write', 'manage_content']);
        assert.equal(payload.client_id, 'auth-connect');
        assert.ok(tokens.refresh_token.length >= 43);
      });

      it('gives unknown email, wrong password and disabled account the identical answer', async () => {
        const answers = await Promise.all([
          api('POST', '/login', { email: 'nobody@example.com', password: PASSWORD }),
          api('POST', '/login', { email: 'ann@example.com', password: 'Wrong1234' }),
          api('POST', '/login', { email: 'off@example.com', password: PASSWORD }),
        ]);
        for (const a of answers) {
          assert.equal(a.status, 401);
          assert.deepEqual(a.body, { error: 'INVALID_CREDENTIALS', message: 'invalid email or password' });
        }
      });

      it('refuses password login for a third-party client (RFC 9700)', async () => {
        const { client } = await as.createClient({ name: 'Partner', grant: 'authorization_code', redirectUris: ['https://partner.example/cb'], public: true });
        const r = await api('POST', '/login', { email: 'ann@example.com', password: PASSWORD, client_id: client.client_id });
        assert.deepEqual([r.status, r.body.error], [403, 'UNAUTHORIZED_CLIENT']);
        const unknown = await api('POST', '/login', { email: 'ann@example.com', password: PASSWORD, client_id: 'nope' });
        assert.deepEqual([unknown.status, unknown.body.error], [400, 'INVALID_REQUEST']);
      });

      it('logs in through a first-party public client named by client_id', async () => {
        const { client } = await as.createClient({
          name: 'Our SPA',
          grant: 'authorization_code',
          redirectUris: ['https://spa.example/cb'],
          public: true,
          firstParty: true,
        });
        const r = await api('POST', '/login', { email: 'ann@example.com', password: PASSWORD, client_id: client.client_id });
        assert.equal(r.status, 200);
        const refreshed = await api('POST', '/refresh', { refresh_token: r.body.refresh_token, client_id: client.client_id });
        assert.equal(refreshed.status, 200);
      });
    });

    describe('tokens and sessions', () => {
      before(() => as.createUser('sam@example.com', 'student'));

      it('GET /me answers id, email, email_verified, role, permissions and created_at', async () => {
        const { access_token } = await login('sam@example.com');
        const r = await api('GET', '/me', undefined, access_token);
        assert.equal(r.status, 200);
        assert.deepEqual(Object.keys(r.body).sort(), ['created_at', 'email', 'email_verified', 'id', 'permissions', 'role']);
        assert.equal(r.body.email, 'sam@example.com');
        assert.deepEqual(r.body.permissions, ['read', 'chat', 'save_progress']);
      });

      it('refresh rotates; a replay is INVALID_TOKEN and ends the session', async () => {
        const first = await login('sam@example.com');
        const second = await api('POST', '/refresh', { refresh_token: first.refresh_token });
        assert.equal(second.status, 200);
        assert.notEqual(second.body.refresh_token, first.refresh_token);
        // the successor used: the old token again is a replay, even inside the retry window (test/refresh-retry.test.ts)
        const third = await api('POST', '/refresh', { refresh_token: second.body.refresh_token });
        assert.equal(third.status, 200);
        const replay = await api('POST', '/refresh', { refresh_token: first.refresh_token });
        assert.deepEqual([replay.status, replay.body.error], [401, 'INVALID_TOKEN']);
        const after = await api('POST', '/refresh', { refresh_token: third.body.refresh_token });
        assert.equal(after.status, 401, 'the replay ended the chain');
      });

      it('logout ends the session: its refresh token stops working at once', async () => {
        const tokens = await login('sam@example.com');
        const r = await api('POST', '/logout', undefined, tokens.access_token);
        assert.equal(r.status, 200);
        assert.equal((await api('POST', '/refresh', { refresh_token: tokens.refresh_token })).status, 401);
      });

      it("lists the caller's sessions with the current one marked, and ends one by id", async () => {
        const a = await login('sam@example.com');
        const b = await login('sam@example.com');
        const list = await api('GET', '/sessions', undefined, b.access_token);
        assert.equal(list.status, 200);
        const current = list.body.sessions.filter((s: { current: boolean }) => s.current);
        assert.equal(current.length, 1);
        assert.deepEqual(Object.keys(current[0]).sort(), ['client_id', 'created_at', 'current', 'expires_at', 'id', 'ip', 'last_used_at', 'user_agent']);
        const other = list.body.sessions.find((s: { current: boolean }) => !s.current);
        assert.equal((await api('DELETE', `/sessions/${other.id}`, undefined, b.access_token)).status, 204);
        assert.equal((await api('DELETE', `/sessions/${other.id}`, undefined, b.access_token)).status, 404);
        assert.equal((await api('DELETE', '/sessions/not-a-uuid', undefined, b.access_token)).status, 404);
        assert.ok(a);
      });

      it('the sixth login ends the oldest session', async () => {
        await as.createUser('six@example.com', 'guest');
        const logins = [];
        for (let i = 0; i < 6; i++) logins.push(await login('six@example.com'));
        const oldest = await api('POST', '/refresh', { refresh_token: logins[0]!.refresh_token });
        assert.equal(oldest.status, 401, 'the oldest session ended');
        const second = await api('POST', '/refresh', { refresh_token: logins[1]!.refresh_token });
        assert.equal(second.status, 200, 'the others live');
        const list = await api('GET', '/sessions', undefined, logins[5]!.access_token);
        assert.equal(list.body.sessions.length, 5);
      });

      it('a session unused past session_timeout_minutes ends, and its refresh token fails', async () => {
        const tokens = await login('sam@example.com');
        const sessionId = JSON.parse(Buffer.from(tokens.access_token.split('.')[1]!, 'base64url').toString()).session_id;
        await as.db
          .knex('user_sessions')
          .where({ id: sessionId })
          .update({ last_used_at: new Date(Date.now() - 61 * 60_000) });
        const r = await api('POST', '/refresh', { refresh_token: tokens.refresh_token });
        assert.deepEqual([r.status, r.body.error], [401, 'INVALID_TOKEN']);
      });

      it('change-password enforces the policy, ends the other sessions and keeps the current one', async () => {
        await as.createUser('pat@example.com', 'student');
        const other = await login('pat@example.com');
        const current = await login('pat@example.com');
        const weak = await api('PUT', '/change-password', { current_password: PASSWORD, new_password: 'weak' }, current.access_token);
        assert.deepEqual([weak.status, weak.body.error], [422, 'WEAK_PASSWORD']);
        const wrong = await api('PUT', '/change-password', { current_password: 'Wrong1234', new_password: 'NewSecret456' }, current.access_token);
        assert.deepEqual([wrong.status, wrong.body.error], [401, 'INVALID_CREDENTIALS']);
        const ok = await api('PUT', '/change-password', { current_password: PASSWORD, new_password: 'NewSecret456' }, current.access_token);
        assert.equal(ok.status, 200);
        assert.equal((await api('POST', '/refresh', { refresh_token: other.refresh_token })).status, 401, 'other session ended');
        assert.equal((await api('POST', '/refresh', { refresh_token: current.refresh_token })).status, 200, 'current session kept');
        assert.equal((await api('POST', '/login', { email: 'pat@example.com', password: PASSWORD })).status, 401);
        assert.equal((await api('POST', '/login', { email: 'pat@example.com', password: 'NewSecret456' })).status, 200);
      });

      it('answers a missing, bad or expired bearer token with 401 and its code', async () => {
        const missing = await api('GET', '/me');
        assert.deepEqual([missing.status, missing.body.error], [401, 'INVALID_TOKEN']);
        assert.match(missing.headers.get('www-authenticate') ?? '', /^Bearer realm=/);
        const bad = await api('GET', '/me', undefined, 'not.a.token');
        assert.deepEqual([bad.status, bad.body.error], [401, 'INVALID_TOKEN']);
        const keys = await as.signingKeys();
        const es = keys.keys.find((k) => k.alg === 'ES256')!;
        const expired = await new SignJWT({ client_id: 'auth-connect', roles: ['admin'], permissions: [] })
          .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: es.kid })
          .setIssuer(as.issuer)
          .setAudience('urn:auth-connect:api')
          .setSubject('00000000-0000-0000-0000-000000000000')
          .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
          .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
          .sign(await importJWK(es, 'ES256'));
        const late = await api('GET', '/me', undefined, expired);
        assert.deepEqual([late.status, late.body.error], [401, 'TOKEN_EXPIRED']);
      });
    });

    describe('API keys', () => {
      let owner: { access_token: string };
      before(async () => {
        await as.createUser('keys@example.com', 'instructor');
        owner = await login('keys@example.com');
      });

      it("creates a key shown once, lists it by prefix only, and exchanges it for a JWT with the key's permissions", async () => {
        const created = await api('POST', '/api-keys', { name: 'CI', permissions: ['read'] }, owner.access_token);
        assert.equal(created.status, 201);
        assert.match(created.body.key, /^ack_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
        const list = await api('GET', '/api-keys', undefined, owner.access_token);
        assert.equal(list.body.api_keys.length, 1);
        const secretPart: string = created.body.key.slice('ack_'.length + 16 + 1);
        assert.equal(list.body.api_keys[0].prefix, created.body.key.slice(0, 'ack_'.length + 16));
        assert.ok(!JSON.stringify(list.body).includes(secretPart));
        const stored = await as.db.knex('api_keys').where({ id: created.body.id }).first();
        assert.ok(!JSON.stringify(stored).includes(secretPart), 'only a hash is stored');

        const response = await exchange(created.body.key);
        assert.equal(response.status, 200);
        const body = (await response.json()) as { access_token: string; issued_token_type: string; expires_in: number };
        assert.equal(body.issued_token_type, 'urn:ietf:params:oauth:token-type:access_token');
        assert.ok(body.expires_in <= 900, 'short-lived');
        const { payload } = await jwtVerify(body.access_token, jwks(), { issuer: as.issuer, audience: 'urn:auth-connect:api', typ: 'at+jwt' });
        assert.deepEqual(payload.permissions, ['read']);
        assert.equal(payload.roles, undefined, "an API-key token carries the key's permissions, not the owner's role");
        assert.equal(payload.api_key_id, created.body.id);

        assert.equal((await api('DELETE', `/api-keys/${created.body.id}`, undefined, owner.access_token)).status, 204);
        const revoked = await exchange(created.body.key);
        assert.equal(revoked.status, 400);
        assert.equal(((await revoked.json()) as { error: string }).error, 'invalid_grant');
      });

      it('refuses a key with permissions its owner lacks', async () => {
        const r = await api('POST', '/api-keys', { name: 'too much', permissions: ['read', 'delete'] }, owner.access_token);
        assert.deepEqual([r.status, r.body.error], [403, 'INSUFFICIENT_PERMISSIONS']);
      });

      it('an expired key, a key of a disabled owner and a forged key all get invalid_grant', async () => {
        const expiring = await api('POST', '/api-keys', { name: 'old', expires_in_days: 1 }, owner.access_token);
        await as.db
          .knex('api_keys')
          .where({ id: expiring.body.id })
          .update({ expires_at: new Date(Date.now() - 1000) });
        const forged = `${expiring.body.key.slice(0, 21)}${'A'.repeat(43)}`;
        for (const key of [expiring.body.key, forged, 'ack_nothing', "' or 1=1 --"]) {
          const r = await exchange(key);
          assert.equal(r.status, 400, key);
          assert.equal(((await r.json()) as { error: string }).error, 'invalid_grant');
        }
        const user = await as.createUser('leaving@example.com', 'student');
        const leaving = await login('leaving@example.com');
        const key = (await api('POST', '/api-keys', { name: 'k' }, leaving.access_token)).body.key;
        assert.equal((await exchange(key)).status, 200);
        await as.db.knex('users').where({ id: user.id }).update({ is_active: false });
        assert.equal((await exchange(key)).status, 400);
      });
    });

    describe('bad input is 400 INVALID_REQUEST, never a 500', () => {
      const cases: [string, string, string, string | undefined][] = [
        ['malformed JSON', 'POST', '/login', '{"email": "a@b.c", '],
        ['a wrong type', 'POST', '/login', JSON.stringify({ email: 42, password: PASSWORD })],
        ['an unknown field', 'POST', '/register', JSON.stringify({ email: 'x@example.com', password: PASSWORD, role: 'admin' })],
        ['a missing field', 'POST', '/login', JSON.stringify({ email: 'x@example.com' })],
        ['an array body', 'POST', '/login', '[]'],
        ['a 1 MiB body', 'POST', '/register', JSON.stringify({ email: 'x@example.com', password: 'A1'.repeat(512 * 1024) })],
        ['deep nesting', 'POST', '/login', `${'['.repeat(10_000)}${']'.repeat(10_000)}`],
        ['a NUL byte in the email', 'POST', '/login', JSON.stringify({ email: 'a\u0000@b.c', password: PASSWORD })],
        ['a form body', 'POST', '/login', 'email=a%40b.c&password=x'],
      ];
      for (const [name, method, route, body] of cases) {
        it(name, async () => {
          const headers: Record<string, string> = name === 'a form body' ? { 'content-type': 'application/x-www-form-urlencoded' } : {};
          const r = await api(method, route, body, undefined, headers);
          assert.equal(r.status, 400, JSON.stringify(r.body));
          assert.equal(r.body.error, 'INVALID_REQUEST');
          assert.equal(typeof r.body.message, 'string');
        });
      }
      it('the server still serves afterwards', async () => assert.equal((await fetch(`${as.issuer}/healthz`)).status, 200));
    });

    describe('audit', () => {
      it('records logins, failures, logouts, password changes, ended sessions and key events without secrets', async () => {
        const events = await as.db.knex('audit_events').select('event', 'outcome', 'details', 'ip', 'user_agent');
        const names = new Set(events.map((e: { event: string; outcome: string }) => `${e.event}:${e.outcome}`));
        for (const expected of [
          'login:success',
          'login:failure',
          'logout:success',
          'password.change:success',
          'password.change:failure',
          'session.ended:success',
          'api_key.created:success',
          'api_key.revoked:success',
          'user.registered:success',
        ]) {
          assert.ok(names.has(expected), `missing ${expected}`);
        }
        const dump = JSON.stringify(events);
        for (const secret of [PASSWORD, 'NewSecret456', 'Wrong1234', 'ack_']) assert.ok(!dump.includes(secret), `audit holds ${secret}`);
      });
    });
  });
}
