import assert from 'node:assert/strict';
import { PASSWORD, startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { configDirWith, rolesWithSupport } from './helpers/config-dir.js';
import { jsonApi } from './helpers/json-api.js';
import { testEngines } from './helpers/test-database.js';
import { clientCredentials, codeFlow, exchangeApiKey, permissionScopes, REDIRECT, refresh, tokenRequest, type TestClient } from './helpers/token-flows.js';

const DAY_MS = 86_400_000;

/** Each finding of the least-privilege review, as the attacker tried it. */
for (const engine of testEngines()) {
  describe(`least privilege on ${engine}`, function () {
    this.timeout(120_000);
    let as: TestAuthServer;
    let admin: ReturnType<typeof jsonApi>;
    let auth: ReturnType<typeof jsonApi>;
    let thirdParty: TestClient;
    let otherThirdParty: TestClient;
    let firstParty: TestClient;
    let resourceServer: TestClient;
    const login = async (email: string) => {
      const r = await auth('POST', '/login', { email, password: PASSWORD });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body as { access_token: string; refresh_token: string };
    };
    const machine = async (permissions: string[]) => {
      const { client, secret } = await as.createClient({ name: `machine ${permissions.join(' ')}`, grant: 'client_credentials', permissions });
      return { clientId: client.client_id, secret: secret! };
    };
    const codeClient = async (name: string, options: { firstParty?: boolean; public?: boolean } = {}) => {
      const { client, secret } = await as.createClient({ name, grant: 'authorization_code', redirectUris: [REDIRECT], ...options });
      return { clientId: client.client_id, secret };
    };

    before(async () => {
      as = await startAuthServer(engine, { CONFIG_DIR: configDirWith({ roles: rolesWithSupport() }) });
      admin = jsonApi(`${as.issuer}/api/admin`);
      auth = jsonApi(`${as.issuer}/api/auth`);
      for (const [email, role] of [
        ['admin@example.com', 'admin'],
        ['admin2@example.com', 'admin'],
        ['instructor@example.com', 'instructor'],
        ['student@example.com', 'student'],
        ['guest@example.com', 'guest'],
        ['support@example.com', 'support'],
      ] as const) {
        await as.createUser(email, role);
      }
      thirdParty = await codeClient('Third-party App');
      otherThirdParty = await codeClient('Another App');
      firstParty = await codeClient('Our App', { firstParty: true });
      const rs = await as.createClient({ name: 'Notes API', grant: 'client_credentials', resourceServer: true });
      resourceServer = { clientId: rs.client.client_id, secret: rs.secret! };
    });
    after(() => as?.stop());

    it('a third-party app asking only "openid" of an admin gets no permissions, no roles, and no way into our APIs', async () => {
      const tokens = await codeFlow(as.issuer, thirdParty, 'admin@example.com', 'openid');
      assert.deepEqual(tokens.pages, ['login', 'consent']);
      assert.deepEqual(tokens.claims!.permissions, []);
      assert.equal(tokens.claims!.roles, undefined, 'roles only with the roles scope');
      assert.deepEqual(permissionScopes(tokens.body.scope), []);
      const at = tokens.body.access_token as string;
      for (const [method, path] of [
        ['GET', '/users'],
        ['GET', '/keys'],
      ] as const) {
        const r = await admin(method, path, undefined, at);
        assert.deepEqual([r.status, r.body.error], [403, 'INSUFFICIENT_PERMISSIONS'], `${method} ${path}`);
      }
      const key = await auth('POST', '/api-keys', { name: 'stolen' }, at);
      assert.deepEqual([key.status, key.body.error], [403, 'INSUFFICIENT_PERMISSIONS']);
    });

    it('a refresh never carries more than the grant: consented to "read", refreshed with "openid offline_access"', async () => {
      const tokens = await codeFlow(as.issuer, thirdParty, 'instructor@example.com', 'openid offline_access read');
      assert.deepEqual(tokens.claims!.permissions, ['read']);
      const narrowed = await refresh(as.issuer, thirdParty, tokens.body.refresh_token, 'openid offline_access');
      assert.equal(narrowed.status, 200, JSON.stringify(narrowed.body));
      assert.deepEqual(narrowed.claims!.permissions, []);
      assert.deepEqual(permissionScopes(narrowed.body.scope), []);
      const again = await refresh(as.issuer, thirdParty, narrowed.body.refresh_token);
      assert.deepEqual(again.claims!.permissions, ['read']);
      assert.deepEqual(permissionScopes(again.body.scope), ['read']);
      assert.deepEqual(permissionScopes(again.claims!.scope), ['read'], 'the JWT scope agrees');
      const wider = await refresh(as.issuer, thirdParty, again.body.refresh_token, 'openid write');
      assert.deepEqual([wider.status, wider.body.error], [400, 'invalid_scope']);
    });

    it('a machine client asking for a permission it was not registered with is refused, not given everything', async () => {
      const client = await machine(['manage_users', 'delete']);
      const asked = await clientCredentials(as.issuer, client, 'read');
      assert.deepEqual([asked.status, asked.body.error], [400, 'invalid_scope']);
      const one = await clientCredentials(as.issuer, client, 'delete');
      assert.deepEqual([one.claims!.permissions, one.body.scope], [['delete'], 'delete']);
      const all = await clientCredentials(as.issuer, client);
      assert.deepEqual(all.claims!.permissions!.sort(), ['delete', 'manage_users']);
    });

    it("a token from an API key carries the key's permissions, not the owner's role, and opens no admin route", async () => {
      const owner = await login('admin@example.com');
      for (const permissions of [['read'], []]) {
        const created = await auth('POST', '/api-keys', { name: `key ${permissions.length}`, permissions }, owner.access_token);
        assert.equal(created.status, 201, JSON.stringify(created.body));
        const exchanged = await exchangeApiKey(as.issuer, created.body.key);
        assert.equal(exchanged.status, 200, JSON.stringify(exchanged.body));
        assert.deepEqual(exchanged.claims!.permissions, permissions);
        assert.equal(exchanged.claims!.roles, undefined);
        const at = exchanged.body.access_token as string;
        for (const [method, path, body] of [
          ['GET', '/clients'],
          ['GET', '/audit-events'],
          ['POST', '/clients', { name: 'evil', grant: 'client_credentials', permissions: ['manage_users'] }],
        ] as const) {
          const r = await admin(method, path, body, at);
          assert.deepEqual([r.status, r.body.error], [403, 'INSUFFICIENT_PERMISSIONS'], `${method} ${path}`);
        }
        assert.equal((await auth('GET', '/me', undefined, at)).status, 200, 'an API-key token may read /api/auth/me');
        assert.equal((await auth('POST', '/api-keys', { name: 'more' }, at)).status, 403, 'an API key cannot make keys');
      }
    });

    it('an API key gets at most the permissions of the token that creates it, and a bounded lifetime', async () => {
      const narrow = await codeFlow(as.issuer, firstParty, 'admin@example.com', 'openid read');
      assert.deepEqual(narrow.claims!.permissions, ['read']);
      const at = narrow.body.access_token as string;
      const created = await auth('POST', '/api-keys', { name: 'narrow' }, at);
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.deepEqual(created.body.permissions, ['read']);
      const days = (Date.parse(created.body.expires_at) - Date.now()) / DAY_MS;
      assert.ok(days > 89.9 && days <= 90, `default lifetime 90 days, got ${days}`);
      const beyond = await auth('POST', '/api-keys', { name: 'wide', permissions: ['read', 'delete'] }, at);
      assert.deepEqual([beyond.status, beyond.body.error], [403, 'INSUFFICIENT_PERMISSIONS']);
      const tooLong = await auth('POST', '/api-keys', { name: 'forever', expires_in_days: 366 }, at);
      assert.deepEqual([tooLong.status, tooLong.body.error], [400, 'INVALID_REQUEST']);
    });

    it('a manage_users holder cannot raise its own role, grant more than it holds, or act on an admin', async () => {
      const support = await login('support@example.com');
      const users = (await admin('GET', '/users?limit=50', undefined, support.access_token)).body.users as { id: string; email: string }[];
      const id = (email: string) => users.find((u) => u.email === email)!.id;
      const refused = async (method: string, path: string, body?: unknown) => {
        const r = await admin(method, path, body, support.access_token);
        assert.deepEqual([r.status, r.body.error], [403, 'INSUFFICIENT_PERMISSIONS'], `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
      };
      await refused('PATCH', `/users/${id('support@example.com')}`, { role: 'admin' });
      await refused('PATCH', `/users/${id('support@example.com')}`, { role: 'guest' });
      await refused('PATCH', `/users/${id('student@example.com')}`, { role: 'admin' });
      await refused('PATCH', `/users/${id('admin@example.com')}`, { is_active: false });
      await refused('DELETE', `/users/${id('admin@example.com')}/sessions`);
      await refused('POST', '/users', { email: 'writer@example.com', password: PASSWORD, role: 'instructor' });
      await refused('PATCH', `/users/${id('student@example.com')}`, { role: 'guest' });
      const disabled = await admin('PATCH', `/users/${id('guest@example.com')}`, { is_active: false }, support.access_token);
      assert.deepEqual([disabled.status, disabled.body.is_active], [200, false], 'a guest holds only what support holds');
      const created = await admin('POST', '/users', { email: 'visitor@example.com', password: PASSWORD, role: 'guest' }, support.access_token);
      assert.deepEqual([created.status, created.body.role], [201, 'guest']);
    });

    it('an admin change made by a machine client is applied, answered and audited with the client as actor', async () => {
      const client = await machine(['read', 'manage_users']);
      const token = (await clientCredentials(as.issuer, client)).body.access_token as string;
      const created = await admin('POST', '/users', { email: 'by-machine@example.com', password: PASSWORD, role: 'guest' }, token);
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal((await admin('GET', '/clients', undefined, token)).status, 403, 'clients need manage_system');
      const root = await login('admin@example.com');
      const events = (await admin('GET', `/audit-events?event=user.created&user_id=${created.body.id}`, undefined, root.access_token)).body.events as Record<
        string,
        unknown
      >[];
      assert.equal(events.length, 1);
      assert.equal(events[0]!.actor_type, 'client');
      assert.equal(events[0]!.actor_client_id, client.clientId);
    });

    it("a disabled admin's live token is refused by the admin API at once", async () => {
      const root = await login('admin@example.com');
      const leaving = await login('admin2@example.com');
      assert.equal((await admin('GET', '/users', undefined, leaving.access_token)).status, 200);
      const id = (await admin('GET', '/users?search=admin2', undefined, root.access_token)).body.users[0].id as string;
      assert.equal((await admin('PATCH', `/users/${id}`, { is_active: false }, root.access_token)).status, 200);
      const after = await admin('GET', '/users', undefined, leaving.access_token);
      assert.deepEqual([after.status, after.body.error], [401, 'INVALID_TOKEN']);
    });

    it("introspection answers only for the caller's own tokens, or for a registered resource server", async () => {
      const tokens = await codeFlow(as.issuer, thirdParty, 'student@example.com', 'openid offline_access read');
      const introspect = (client: TestClient) => tokenRequest(as.issuer, client, { token: tokens.body.refresh_token }, '/token/introspection');
      const foreign = await introspect(otherThirdParty);
      assert.deepEqual(foreign.body, { active: false });
      const own = await introspect(thirdParty);
      assert.equal(own.body.active, true);
      const byResourceServer = await introspect(resourceServer);
      assert.equal(byResourceServer.body.active, true);
      const revokeForeign = await tokenRequest(as.issuer, otherThirdParty, { token: tokens.body.refresh_token }, '/token/revocation');
      assert.equal(revokeForeign.status, 200, 'answered like an unknown token (RFC 7009), revealing nothing');
      assert.equal((await introspect(thirdParty)).body.active, true, 'a foreign revocation changes nothing');
    });
  });
}
