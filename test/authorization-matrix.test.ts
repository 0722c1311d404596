import assert from 'node:assert/strict';
import { startApi, type RunningApi } from '../examples/api/app.js';
import { PASSWORD, PERMISSIONS, startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { CookieJar } from './helpers/browserless-login.js';
import { jsonApi } from './helpers/json-api.js';
import { testEngines } from './helpers/test-database.js';
import { clientCredentials, codeFlow, exchangeApiKey, REDIRECT, type TestClient } from './helpers/token-flows.js';

const NOBODY = '00000000-0000-0000-0000-000000000000';

/**
 * Who may call a route: `user` = user tokens of first-party apps, `machine` = client-credentials tokens,
 * `apiKey` = tokens exchanged from API keys; `permission` (or `role` for the example API) must be in the token.
 * A request that passes authorization answers something other than 401/403 (the probes below are built to
 * stop at validation or "not found" where a real change would follow); one that does not gets 403.
 */
interface Route {
  api: 'admin' | 'auth' | 'example';
  method: string;
  path: string;
  body?: unknown;
  callers: ('user' | 'machine' | 'apiKey')[];
  permission?: string;
  role?: string;
  /** A real change: probed with an allowed token once, refusals always. */
  once?: boolean;
}

const admin = (method: string, path: string, permission: string, body?: unknown, once = false): Route => ({
  api: 'admin',
  method,
  path,
  body,
  permission,
  callers: ['user', 'machine'],
  once,
});
const ROUTES: Route[] = [
  admin('GET', '/users', 'manage_users'),
  admin('GET', `/users/${NOBODY}`, 'manage_users'),
  admin('POST', '/users', 'manage_users', {}),
  admin('PATCH', `/users/${NOBODY}`, 'manage_users', { role: 'guest' }),
  admin('DELETE', `/users/${NOBODY}/sessions`, 'manage_users'),
  admin('GET', '/sessions', 'manage_users'),
  admin('DELETE', `/sessions/${NOBODY}`, 'manage_users'),
  admin('GET', '/clients', 'manage_system'),
  admin('POST', '/clients', 'manage_system', {}),
  admin('PATCH', '/clients/nope', 'manage_system', { name: 'x' }),
  admin('DELETE', '/clients/nope', 'manage_system'),
  admin('POST', '/clients/nope/secret', 'manage_system'),
  admin('GET', '/api-keys', 'manage_system'),
  admin('DELETE', `/api-keys/${NOBODY}`, 'manage_system'),
  admin('GET', '/keys', 'manage_system'),
  admin('POST', '/keys/rotate', 'manage_system', undefined, true),
  admin('GET', '/audit-events', 'manage_system'),
  { api: 'auth', method: 'GET', path: '/me', callers: ['user', 'apiKey'] },
  { api: 'auth', method: 'PUT', path: '/change-password', body: {}, callers: ['user'] },
  { api: 'auth', method: 'GET', path: '/sessions', callers: ['user'] },
  { api: 'auth', method: 'DELETE', path: `/sessions/${NOBODY}`, callers: ['user'] },
  { api: 'auth', method: 'POST', path: '/api-keys', body: { name: '' }, callers: ['user'] },
  { api: 'auth', method: 'GET', path: '/api-keys', callers: ['user'] },
  { api: 'auth', method: 'DELETE', path: `/api-keys/${NOBODY}`, callers: ['user'] },
  { api: 'example', method: 'GET', path: '/notes', permission: 'read', callers: ['user', 'machine', 'apiKey'] },
  { api: 'example', method: 'POST', path: '/notes', body: {}, permission: 'write', callers: ['user', 'machine', 'apiKey'] },
  { api: 'example', method: 'DELETE', path: '/notes/999', permission: 'delete', callers: ['user', 'machine', 'apiKey'] },
  { api: 'example', method: 'GET', path: '/admin/stats', role: 'admin', callers: ['user', 'machine', 'apiKey'] },
  // last: it ends the session the token belongs to
  { api: 'auth', method: 'POST', path: '/logout', callers: ['user'] },
];

const USERS = ['admin', 'instructor', 'student', 'guest'] as const;
// admin holds every permission: for it, asking for one it lacks cannot happen
const NOT_HELD: Record<string, string | undefined> = { admin: undefined, instructor: 'chat', student: 'write', guest: 'write' };
type Scope = 'none' | 'held' | 'not held' | 'identity only';
const SCOPES: Scope[] = ['none', 'held', 'not held', 'identity only'];

/** One token and what it must carry; `kind` is how our own APIs must treat it. */
interface Cell {
  name: string;
  token: string;
  kind: 'user' | 'thirdParty' | 'machine' | 'apiKey' | 'disabled';
  permissions: string[];
  roles: string[];
}

for (const engine of testEngines()) {
  describe(`authorization matrix on ${engine}`, function () {
    this.timeout(180_000);
    let as: TestAuthServer;
    let exampleApi: RunningApi;
    const cells: Cell[] = [];
    const call = {
      admin: undefined as unknown as ReturnType<typeof jsonApi>,
      auth: undefined as unknown as ReturnType<typeof jsonApi>,
      example: undefined as unknown as ReturnType<typeof jsonApi>,
    };

    before(async () => {
      as = await startAuthServer(engine);
      exampleApi = await startApi({ issuer: as.issuer });
      call.admin = jsonApi(`${as.issuer}/api/admin`);
      call.auth = jsonApi(`${as.issuer}/api/auth`);
      call.example = jsonApi(exampleApi.url);
      for (const role of USERS) await as.createUser(`${role}@example.com`, role);
      await as.createUser('leaving@example.com', 'admin');
      const codeClient = async (name: string, options: { firstParty?: boolean; public?: boolean }): Promise<TestClient> => {
        const { client, secret } = await as.createClient({ name, grant: 'authorization_code', redirectUris: [REDIRECT], ...options });
        return { clientId: client.client_id, secret };
      };
      const clients = {
        'first-party': await codeClient('Our App', { firstParty: true }),
        'third-party confidential': await codeClient('Their App', {}),
        'third-party public': await codeClient('Their SPA', { public: true }),
      };

      for (const role of USERS) {
        const browser = new CookieJar(); // one sign-in per user; the other flows reuse it
        for (const [clientKind, client] of Object.entries(clients)) {
          for (const scopeKind of SCOPES) {
            if (scopeKind === 'not held' && !NOT_HELD[role]) continue;
            const scope = { none: 'openid', held: 'openid read', 'not held': `openid ${NOT_HELD[role]}`, 'identity only': 'openid email roles' }[scopeKind];
            const tokens = await codeFlow(as.issuer, client, `${role}@example.com`, scope, { jar: browser });
            const firstParty = clientKind === 'first-party';
            const permissions = {
              none: firstParty ? PERMISSIONS[role]! : [],
              held: ['read'],
              'not held': [],
              'identity only': firstParty ? PERMISSIONS[role]! : [],
            }[scopeKind];
            const roles = firstParty || scopeKind === 'identity only' ? [role] : [];
            cells.push({
              name: `${role} via ${clientKind} asking ${scopeKind}`,
              token: tokens.body.access_token,
              kind: firstParty ? 'user' : 'thirdParty',
              permissions,
              roles,
            });
          }
        }
      }

      for (const [name, registered] of [
        ['machine admin', ['read', 'manage_users', 'manage_system']],
        ['machine writer', ['read', 'write']],
      ] as const) {
        const { client, secret } = await as.createClient({ name, grant: 'client_credentials', permissions: [...registered] });
        const machine = { clientId: client.client_id, secret: secret! };
        for (const [scopeKind, scope, expected] of [
          ['none', undefined, [...registered]],
          ['held', 'read', ['read']],
          ['not held', 'delete', undefined],
          ['identity only', 'openid', undefined],
        ] as const) {
          const answer = await clientCredentials(as.issuer, machine, scope);
          if (!expected) {
            assert.deepEqual([answer.status, answer.body.error], [400, 'invalid_scope'], `${name} asking ${scopeKind}`);
            continue;
          }
          cells.push({ name: `${name} asking ${scopeKind}`, token: answer.body.access_token, kind: 'machine', permissions: [...expected], roles: [] });
        }
      }

      const owner = (await call.auth('POST', '/login', { email: 'admin@example.com', password: PASSWORD })).body.access_token as string;
      for (const [name, permissions] of [
        ['API key narrowed', ['read']],
        ['API key full', PERMISSIONS.admin!],
      ] as const) {
        const created = await call.auth('POST', '/api-keys', { name, permissions }, owner);
        assert.equal(created.status, 201, JSON.stringify(created.body));
        const exchanged = await exchangeApiKey(as.issuer, created.body.key);
        cells.push({ name, token: exchanged.body.access_token, kind: 'apiKey', permissions: [...permissions], roles: [] });
      }

      const leaving = (await call.auth('POST', '/login', { email: 'leaving@example.com', password: PASSWORD })).body.access_token as string;
      const users = (await call.admin('GET', '/users?search=leaving', undefined, owner)).body.users as { id: string }[];
      assert.equal((await call.admin('PATCH', `/users/${users[0]!.id}`, { is_active: false }, owner)).status, 200);
      cells.push({ name: 'disabled admin via the account API', token: leaving, kind: 'disabled', permissions: PERMISSIONS.admin!, roles: ['admin'] });
    });
    after(async () => {
      await exampleApi?.close();
      await as?.stop();
    });

    it('issues every token with exactly the permissions and roles the rule gives', async () => {
      for (const cell of cells) {
        const payload = JSON.parse(Buffer.from(cell.token.split('.')[1]!, 'base64url').toString()) as {
          permissions?: string[];
          roles?: string[];
          scope?: string;
        };
        assert.deepEqual([...payload.permissions!].sort(), [...cell.permissions].sort(), `${cell.name}: permissions`);
        assert.deepEqual(payload.roles ?? [], cell.roles, `${cell.name}: roles`);
        const scoped = (payload.scope ?? '').split(' ').filter((s) => s && !['openid', 'email', 'roles', 'offline_access'].includes(s));
        assert.deepEqual(scoped.sort(), [...cell.permissions].sort(), `${cell.name}: the JWT scope agrees`);
      }
    });

    it('opens each route of the admin API, the account API and the example API exactly as the rule says', async () => {
      const done = new Set<Route>();
      const failures: string[] = [];
      const probe = async (cell: Cell, route: Route) => {
        const expected = expectation(cell, route);
        if (expected === 'allowed' && route.once) {
          if (done.has(route)) return;
          done.add(route);
        }
        const answer = await call[route.api](route.method, route.path, route.body, cell.token);
        const outcome = answer.status === 401 ? `401 ${answer.body?.error}` : answer.status === 403 ? `403 ${answer.body?.error}` : 'allowed';
        if (outcome !== expected)
          failures.push(`${cell.name}: ${route.api} ${route.method} ${route.path}: expected ${expected}, got ${answer.status} ${JSON.stringify(answer.body)}`);
      };
      for (const cell of cells) {
        await Promise.all(ROUTES.slice(0, -1).map((route) => probe(cell, route)));
        await probe(cell, ROUTES.at(-1)!); // logout, which ends the token's session, after the rest
      }
      assert.deepEqual(failures, []);
    });
  });
}

/** What a route must answer a token, from the rule alone. */
function expectation(cell: Cell, route: Route): string {
  const byClaims =
    (route.permission === undefined || cell.permissions.includes(route.permission)) && (route.role === undefined || cell.roles.includes(route.role));
  if (route.api === 'example') return byClaims ? 'allowed' : '403 INSUFFICIENT_PERMISSIONS';
  // our own APIs: a disabled user's token stops at once (JWTs elsewhere live until they expire)
  if (cell.kind === 'disabled') return '401 INVALID_TOKEN';
  const accepted = cell.kind === 'user' ? route.callers.includes('user') : cell.kind === 'thirdParty' ? false : route.callers.includes(cell.kind);
  return accepted && byClaims ? 'allowed' : '403 INSUFFICIENT_PERMISSIONS';
}
