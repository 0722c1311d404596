import assert from 'node:assert/strict';
import { API_AUDIENCE, TestIssuer } from './helpers/test-issuer.js';
import { EXPECTED_ACCESS, REALM, ROLES } from './helpers/role-matrix.js';

/**
 * The behaviour both adapters share: what the Koa and the Node test APIs must answer. `start` builds an API
 * (routes of EXPECTED_ACCESS, plus /unguarded with a guard but no authenticate) and answers its base URL.
 */
export function describeMiddlewareContract(
  name: string,
  start: (issuerUrl: string) => Promise<{ url: string; close: () => Promise<void> }>,
  guards: { requireRole: (roles: string[]) => unknown; requirePermission: (permissions: string[]) => unknown },
): void {
  describe(name, () => {
    let issuer: TestIssuer;
    let api: { url: string; close: () => Promise<void> };

    before(async () => {
      issuer = await TestIssuer.start();
      api = await start(issuer.url);
    });
    after(async () => {
      await api.close();
      await issuer.close();
    });

    const call = (path: string, authorization?: string) => fetch(`${api.url}${path}`, { headers: authorization === undefined ? {} : { authorization } });

    for (const role of ROLES) {
      it(`gives ${role} tokens exactly the routes its roles and permissions allow`, async () => {
        const token = await issuer.tokenFor(role);
        for (const [path, allowed] of Object.entries(EXPECTED_ACCESS)) {
          const response = await call(path, `Bearer ${token}`);
          const body = (await response.json()) as Record<string, unknown>;
          if (allowed.includes(role)) {
            assert.equal(response.status, 200, `${role} ${path}`);
            assert.deepEqual(body, { sub: `${role}-user`, roles: [role] });
          } else {
            assert.equal(response.status, 403, `${role} ${path}`);
            assert.equal(body.error, 'INSUFFICIENT_PERMISSIONS');
            assert.equal(typeof body.message, 'string');
            assert.match(
              response.headers.get('www-authenticate') ?? '',
              new RegExp(`^Bearer realm="${REALM}", error="insufficient_scope", error_description="[^"]+"$`),
            );
          }
        }
      });
    }

    it('requireMfa lets through only tokens of a sign-in with a second factor (amr has mfa)', async () => {
      const withMfa = await call('/mfa', `Bearer ${await issuer.sign({ amr: ['pwd', 'otp', 'mfa'] })}`);
      assert.equal(withMfa.status, 200);
      for (const amr of [['pwd'], undefined]) {
        const response = await call('/mfa', `Bearer ${await issuer.sign(amr ? { amr } : {})}`);
        assert.equal(response.status, 403, JSON.stringify(amr));
        assert.equal(((await response.json()) as { error: string }).error, 'INSUFFICIENT_PERMISSIONS');
      }
      const malformed = await call('/mfa', `Bearer ${await issuer.sign({ amr: 'mfa' })}`);
      assert.equal(malformed.status, 401, 'an amr that is not a list of strings makes the token invalid');
    });

    it('refuses to build a guard from an empty list', () => {
      assert.throws(() => guards.requireRole([]), TypeError);
      assert.throws(() => guards.requirePermission([]), TypeError);
    });

    it('answers a missing token with 401 and a challenge without an error code', async () => {
      for (const authorization of [undefined, 'Basic dXNlcjpwYXNz']) {
        const response = await call('/read', authorization);
        assert.equal(response.status, 401);
        assert.equal(response.headers.get('www-authenticate'), `Bearer realm="${REALM}"`);
        assert.deepEqual(await response.json(), { error: 'INVALID_TOKEN', message: 'an access token is required' });
      }
    });

    it('accepts the Bearer scheme in any case', async () => {
      const response = await call('/read', `bEaReR ${await issuer.tokenFor('guest')}`);
      assert.equal(response.status, 200);
    });

    it('answers an empty, malformed or bad token with 401 invalid_token', async () => {
      const forged = (await issuer.tokenFor('guest')).replace(/\.[^.]+$/, '.AAAA');
      for (const authorization of ['Bearer', 'Bearer ', 'Bearer a b', 'Bearer not-a-jwt', `Bearer ${forged}`]) {
        const response = await call('/read', authorization);
        assert.equal(response.status, 401, authorization);
        assert.match(response.headers.get('www-authenticate') ?? '', new RegExp(`^Bearer realm="${REALM}", error="invalid_token", error_description="[^"]+"$`));
        const body = (await response.json()) as Record<string, unknown>;
        assert.equal(body.error, 'INVALID_TOKEN');
        assert.equal(typeof body.message, 'string');
      }
    });

    it('answers an expired token with 401 TOKEN_EXPIRED', async () => {
      const response = await call('/read', `Bearer ${await issuer.sign({}, { expiresIn: -300 })}`);
      assert.equal(response.status, 401);
      assert.equal(
        response.headers.get('www-authenticate'),
        `Bearer realm="${REALM}", error="invalid_token", error_description="the access token has expired"`,
      );
      assert.deepEqual(await response.json(), { error: 'TOKEN_EXPIRED', message: 'the access token has expired' });
    });

    it('answers an ID token offered as an access token with 401', async () => {
      const response = await call('/read', `Bearer ${await issuer.sign({ aud: API_AUDIENCE }, { header: { typ: 'JWT' } })}`);
      assert.equal(response.status, 401);
      assert.equal(((await response.json()) as { error: string }).error, 'INVALID_TOKEN');
    });

    it('refuses with 401 when a guard runs without authentication before it', async () => {
      const response = await call('/unguarded', `Bearer ${await issuer.tokenFor('admin')}`);
      assert.equal(response.status, 401);
      assert.equal(response.headers.get('www-authenticate'), `Bearer realm="${REALM}"`);
    });

    it('answers 503 with Retry-After when the issuer cannot be reached', async () => {
      const response = await call('/unavailable', `Bearer ${await issuer.tokenFor('admin')}`);
      assert.equal(response.status, 503);
      assert.match(response.headers.get('retry-after') ?? '', /^\d+$/);
      assert.equal(response.headers.get('www-authenticate'), null);
      assert.equal(((await response.json()) as { error: string }).error, 'SERVICE_UNAVAILABLE');
    });
  });
}
