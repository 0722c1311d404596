import assert from 'node:assert/strict';
import { PASSWORD, startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { jsonApi } from './helpers/json-api.js';
import { testEngines } from './helpers/test-database.js';

for (const engine of testEngines()) {
  describe(`admin API on ${engine}`, function () {
    this.timeout(120_000);
    let as: TestAuthServer;
    let admin: ReturnType<typeof jsonApi>;
    let auth: ReturnType<typeof jsonApi>;
    let adminToken: string;
    let studentToken: string;
    let instructorToken: string;

    before(async () => {
      as = await startAuthServer(engine);
      admin = jsonApi(`${as.issuer}/api/admin`);
      auth = jsonApi(`${as.issuer}/api/auth`);
      await as.createUser('root@example.com', 'admin');
      await as.createUser('pupil@example.com', 'student');
      await as.createUser('teacher@example.com', 'instructor');
      const login = async (email: string) => (await auth('POST', '/login', { email, password: PASSWORD })).body.access_token as string;
      adminToken = await login('root@example.com');
      studentToken = await login('pupil@example.com');
      instructorToken = await login('teacher@example.com');
    });
    after(() => as?.stop());

    const routes: [string, string, unknown?][] = [
      ['GET', '/users'],
      ['GET', '/users/00000000-0000-0000-0000-000000000000'],
      ['POST', '/users', { email: 'x@example.com', password: PASSWORD }],
      ['PATCH', '/users/00000000-0000-0000-0000-000000000000', { role: 'admin' }],
      ['DELETE', '/users/00000000-0000-0000-0000-000000000000/sessions'],
      ['GET', '/sessions'],
      ['DELETE', '/sessions/00000000-0000-0000-0000-000000000000'],
      ['GET', '/clients'],
      ['POST', '/clients', { name: 'x', grant: 'client_credentials' }],
      ['PATCH', '/clients/x', { name: 'y' }],
      ['DELETE', '/clients/x'],
      ['POST', '/clients/x/secret'],
      ['GET', '/api-keys'],
      ['DELETE', '/api-keys/00000000-0000-0000-0000-000000000000'],
      ['GET', '/keys'],
      ['POST', '/keys/rotate'],
      ['GET', '/audit-events'],
    ];

    it('refuses a student on every route with 403 INSUFFICIENT_PERMISSIONS, and no token with 401', async () => {
      for (const [method, path, body] of routes) {
        const r = await admin(method, path, body, studentToken);
        assert.deepEqual([r.status, r.body?.error], [403, 'INSUFFICIENT_PERMISSIONS'], `${method} ${path}`);
        const anonymous = await admin(method, path, body);
        assert.equal(anonymous.status, 401, `${method} ${path} without a token`);
      }
    });

    it('refuses an instructor too (no manage_users, not admin)', async () => {
      for (const [method, path, body] of routes.slice(0, 3)) assert.equal((await admin(method, path, body, instructorToken)).status, 403);
    });

    it('lets an admin manage users: list with search and paging, get, create, change role, disable and enable, end sessions', async () => {
      const list = await admin('GET', '/users?search=example&limit=2&offset=0', undefined, adminToken);
      assert.equal(list.status, 200);
      assert.equal(list.body.users.length, 2);
      assert.ok(list.body.total >= 3);
      const found = await admin('GET', '/users?search=pupil', undefined, adminToken);
      assert.deepEqual(
        found.body.users.map((u: { email: string }) => u.email),
        ['pupil@example.com'],
      );
      const pupilId = found.body.users[0].id;
      assert.equal((await admin('GET', `/users/${pupilId}`, undefined, adminToken)).body.email, 'pupil@example.com');
      assert.equal((await admin('GET', '/users/not-a-uuid', undefined, adminToken)).status, 404);

      const created = await admin('POST', '/users', { email: 'hired@example.com', password: PASSWORD, role: 'instructor' }, adminToken);
      assert.deepEqual([created.status, created.body.role], [201, 'instructor']);
      const dup = await admin('POST', '/users', { email: 'HIRED@example.com', password: PASSWORD }, adminToken);
      assert.deepEqual([dup.status, dup.body.error], [409, 'USER_EXISTS']);

      const promoted = await admin('PATCH', `/users/${pupilId}`, { role: 'instructor' }, adminToken);
      assert.equal(promoted.body.role, 'instructor');
      const badRole = await admin('PATCH', `/users/${pupilId}`, { role: 'root' }, adminToken);
      assert.deepEqual([badRole.status, badRole.body.error], [400, 'UNKNOWN_ROLE']);

      const pupilLogin = await auth('POST', '/login', { email: 'pupil@example.com', password: PASSWORD });
      const disabled = await admin('PATCH', `/users/${pupilId}`, { is_active: false }, adminToken);
      assert.equal(disabled.body.is_active, false);
      assert.equal((await auth('POST', '/refresh', { refresh_token: pupilLogin.body.refresh_token })).status, 401, "a disabled user's sessions end");
      assert.equal((await auth('POST', '/login', { email: 'pupil@example.com', password: PASSWORD })).status, 401);
      assert.equal((await admin('PATCH', `/users/${pupilId}`, { is_active: true }, adminToken)).body.is_active, true);

      const again = await auth('POST', '/login', { email: 'pupil@example.com', password: PASSWORD });
      const ended = await admin('DELETE', `/users/${pupilId}/sessions`, undefined, adminToken);
      assert.ok(ended.body.sessions_ended >= 1);
      assert.equal((await auth('POST', '/refresh', { refresh_token: again.body.refresh_token })).status, 401);
    });

    it('lets an admin list and end sessions', async () => {
      const login = await auth('POST', '/login', { email: 'teacher@example.com', password: PASSWORD });
      const list = await admin('GET', '/sessions', undefined, adminToken);
      assert.equal(list.status, 200);
      const session = list.body.sessions.find((s: { user_id: string; client_id: string }) => s.client_id === 'auth-connect');
      assert.ok(session);
      const mine = JSON.parse(Buffer.from(login.body.access_token.split('.')[1], 'base64url').toString()).session_id;
      assert.equal((await admin('DELETE', `/sessions/${mine}`, undefined, adminToken)).status, 204);
      assert.equal((await auth('POST', '/refresh', { refresh_token: login.body.refresh_token })).status, 401);
      assert.equal((await admin('DELETE', `/sessions/${mine}`, undefined, adminToken)).status, 404);
    });

    it('lets an admin create, list, update, re-secret and delete clients', async () => {
      const created = await admin('POST', '/clients', { name: 'Batch', grant: 'client_credentials', permissions: ['read'] }, adminToken);
      assert.equal(created.status, 201);
      const id = created.body.client_id;
      const cc = (secret: string) =>
        fetch(`${as.issuer}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` },
          body: 'grant_type=client_credentials',
        });
      assert.equal((await cc(created.body.client_secret)).status, 200);
      assert.ok((await admin('GET', '/clients', undefined, adminToken)).body.clients.some((c: { client_id: string }) => c.client_id === id));
      const updated = await admin('PATCH', `/clients/${id}`, { name: 'Batch 2', permissions: ['read', 'write'] }, adminToken);
      assert.deepEqual([updated.body.client_name, updated.body.permissions], ['Batch 2', ['read', 'write']]);
      const bad = await admin('PATCH', `/clients/${id}`, { permissions: ['fly'] }, adminToken);
      assert.deepEqual([bad.status, bad.body.error], [400, 'INVALID_CLIENT']);
      const resecret = await admin('POST', `/clients/${id}/secret`, undefined, adminToken);
      assert.equal((await cc(created.body.client_secret)).status, 401, 'the old secret stops working');
      assert.equal((await cc(resecret.body.client_secret)).status, 200);
      assert.equal((await admin('DELETE', `/clients/${id}`, undefined, adminToken)).status, 204);
      assert.equal((await cc(resecret.body.client_secret)).status, 401);
      assert.equal((await admin('DELETE', `/clients/${id}`, undefined, adminToken)).status, 404);
      const device = await admin('POST', '/clients', { name: 'Kiosk', grant: 'device_code' }, adminToken);
      assert.equal(device.status, 201);
      assert.deepEqual(device.body.grant_types, ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token']);
      assert.ok(device.body.client_secret, 'a confidential device client gets a secret');
    });

    it("lets an admin list and revoke anyone's API keys", async () => {
      const key = await auth('POST', '/api-keys', { name: 'teacher key' }, instructorToken);
      const list = await admin('GET', '/api-keys', undefined, adminToken);
      assert.ok(list.body.api_keys.some((k: { id: string }) => k.id === key.body.id));
      assert.equal((await admin('DELETE', `/api-keys/${key.body.id}`, undefined, adminToken)).status, 204);
      assert.equal((await admin('DELETE', `/api-keys/${key.body.id}`, undefined, adminToken)).status, 404);
    });

    it('lets an admin list and rotate signing keys; the new key is published but does not sign yet', async () => {
      const before = await admin('GET', '/keys', undefined, adminToken);
      assert.deepEqual(
        before.body.keys.map((k: { status: string }) => k.status),
        ['signing', 'signing'],
      );
      const rotated = await admin('POST', '/keys/rotate', undefined, adminToken);
      assert.equal(rotated.status, 200);
      assert.equal(rotated.body.added.length, 2);
      const statuses = Object.fromEntries(rotated.body.keys.map((k: { kid: string; status: string }) => [k.kid, k.status]));
      for (const added of rotated.body.added) assert.equal(statuses[added.kid], 'pending');
      const jwks = (await (await fetch(`${as.issuer}/jwks`)).json()) as { keys: { kid: string }[] };
      for (const added of rotated.body.added)
        assert.ok(
          jwks.keys.some((k) => k.kid === added.kid),
          'published at once',
        );
    });

    it('filters the audit log, where every change above is recorded with its actor', async () => {
      const all = await admin('GET', '/audit-events?limit=1000', undefined, adminToken);
      const events = new Set(all.body.events.filter((e: { actor_user_id: string | null }) => e.actor_user_id).map((e: { event: string }) => e.event));
      for (const expected of [
        'user.created',
        'user.role_changed',
        'user.disabled',
        'user.enabled',
        'session.ended',
        'client.created',
        'client.updated',
        'client.secret_reset',
        'client.deleted',
        'api_key.revoked',
        'keys.rotated',
      ]) {
        assert.ok(events.has(expected), `missing ${expected}`);
      }
      const filtered = await admin('GET', '/audit-events?event=client.created&outcome=success', undefined, adminToken);
      assert.ok(filtered.body.events.length >= 1);
      assert.ok(filtered.body.events.every((e: { event: string }) => e.event === 'client.created'));
      const bad = await admin('GET', '/audit-events?since=yesterday', undefined, adminToken);
      assert.deepEqual([bad.status, bad.body.error], [400, 'INVALID_REQUEST']);
    });
  });
}
