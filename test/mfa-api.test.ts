import assert from 'node:assert/strict';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { API, PASSWORD, startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { configDirWith } from './helpers/config-dir.js';
import { jsonApi } from './helpers/json-api.js';
import { totpCode } from './helpers/mfa-login.js';
import { testEngines } from './helpers/test-database.js';

/** The JSON login's second step and the caller's own second factors, every answer checked against the OpenAPI document. */
for (const engine of testEngines()) {
  describe(`two-factor sign-in through the JSON API on ${engine}`, function () {
    this.timeout(60_000);
    let as: TestAuthServer;
    let auth: ReturnType<typeof jsonApi>;
    let jwks: ReturnType<typeof createRemoteJWKSet>;

    before(async () => {
      const configDir = configDirWith({
        auth_config: {
          mfa: { required_for_roles: ['admin'] },
          login_throttle: { known_device: { burst: 2, per_hour: 1 }, per_account: { burst: 3, per_hour: 1 } },
        },
      });
      as = await startAuthServer(engine, { CONFIG_DIR: configDir });
      auth = jsonApi(`${as.issuer}/api/auth`);
      jwks = createRemoteJWKSet(new URL(`${as.issuer}/jwks`));
      await as.createUser('chief@example.com', 'admin');
      await as.createUser('pupil@example.com', 'student');
    });
    after(async () => {
      await as?.stop();
    });

    const amrOf = async (token: string) => (await jwtVerify(token, jwks, { issuer: as.issuer, audience: API })).payload.amr;
    let secret = '';
    let recoveryCodes: string[] = [];

    it('an admin without a second factor gets MFA_ENROLLMENT_REQUIRED, sets up an app with the mfa_token and is signed in', async () => {
      const login = await auth('POST', '/login', { email: 'chief@example.com', password: PASSWORD });
      assert.equal(login.status, 403);
      assert.equal(login.body.error, 'MFA_ENROLLMENT_REQUIRED');
      const mfaToken = login.body.mfa_token as string;
      assert.equal(typeof login.body.device_token, 'string');
      const setup = await auth('POST', '/mfa/enrol/totp', { mfa_token: mfaToken });
      assert.equal(setup.status, 200);
      secret = setup.body.secret;
      assert.match(setup.body.otpauth_uri, /^otpauth:\/\/totp\//);
      assert.equal((await auth('POST', '/mfa/enrol/totp/confirm', { mfa_token: mfaToken, code: '000000' })).body.error, 'INVALID_MFA_CODE');
      const done = await auth('POST', '/mfa/enrol/totp/confirm', { mfa_token: mfaToken, code: await totpCode(secret) });
      assert.equal(done.status, 200);
      recoveryCodes = done.body.recovery_codes;
      assert.equal(recoveryCodes.length, 10);
      assert.deepEqual(await amrOf(done.body.access_token), ['pwd', 'otp', 'mfa']);
      const again = await auth('POST', '/mfa/enrol/totp/confirm', { mfa_token: mfaToken, code: await totpCode(secret) });
      assert.equal(again.body.error, 'INVALID_MFA_TOKEN', 'the mfa_token is used once');
    });

    it('then login answers MFA_REQUIRED; verify takes a code once and a recovery code once; refreshed tokens keep amr', async () => {
      const login = await auth('POST', '/login', { email: 'chief@example.com', password: PASSWORD });
      assert.equal(login.status, 401);
      assert.equal(login.body.error, 'MFA_REQUIRED');
      assert.deepEqual(login.body.methods, ['totp', 'recovery_code']);
      const code = await totpCode(secret, 30);
      const verified = await auth('POST', '/mfa/verify', { mfa_token: login.body.mfa_token, code, device_token: login.body.device_token });
      assert.equal(verified.status, 200);
      assert.deepEqual(await amrOf(verified.body.access_token), ['pwd', 'otp', 'mfa']);
      const refreshed = await auth('POST', '/refresh', { refresh_token: verified.body.refresh_token });
      assert.deepEqual(await amrOf(refreshed.body.access_token), ['pwd', 'otp', 'mfa'], 'a refresh keeps how the user signed in');

      const second = await auth('POST', '/login', { email: 'chief@example.com', password: PASSWORD });
      const replay = await auth('POST', '/mfa/verify', { mfa_token: second.body.mfa_token, code, device_token: second.body.device_token });
      assert.equal(replay.body.error, 'INVALID_MFA_CODE', 'a code is accepted once');
      const recovered = await auth('POST', '/mfa/verify', { mfa_token: second.body.mfa_token, code: recoveryCodes[0], device_token: second.body.device_token });
      assert.equal(recovered.status, 200);
      const third = await auth('POST', '/login', { email: 'chief@example.com', password: PASSWORD });
      const reused = await auth('POST', '/mfa/verify', { mfa_token: third.body.mfa_token, code: recoveryCodes[0], device_token: third.body.device_token });
      assert.equal(reused.body.error, 'INVALID_MFA_CODE', 'a recovery code is single use');
      assert.equal((await auth('POST', '/mfa/verify', { mfa_token: 'x'.repeat(43), code: '123456' })).body.error, 'INVALID_MFA_TOKEN');
    });

    it('a user manages their own authenticator app; removing it needs a token from a sign-in with a second factor', async () => {
      const pwdOnly = (await auth('POST', '/login', { email: 'pupil@example.com', password: PASSWORD })).body.access_token as string;
      assert.deepEqual((await auth('GET', '/mfa', undefined, pwdOnly)).body, { totp: false, passkeys: 0, recovery_codes_left: 0, required: false });
      const setup = await auth('POST', '/mfa/totp', undefined, pwdOnly);
      const confirmed = await auth('POST', '/mfa/totp/confirm', { code: await totpCode(setup.body.secret) }, pwdOnly);
      assert.equal(confirmed.body.recovery_codes.length, 10);
      assert.equal((await auth('POST', '/mfa/totp', undefined, pwdOnly)).status, 403, 'an older password-only token cannot add a factor either');
      assert.equal((await auth('DELETE', '/mfa/totp', undefined, pwdOnly)).status, 403, 'a password-only token cannot remove it');
      const login = await auth('POST', '/login', { email: 'pupil@example.com', password: PASSWORD });
      const withMfa = await auth('POST', '/mfa/verify', { mfa_token: login.body.mfa_token, code: await totpCode(setup.body.secret, 30) });
      assert.equal((await auth('POST', '/mfa/totp', undefined, withMfa.body.access_token)).body.error, 'MFA_ALREADY_ENROLLED');
      const fresh = await auth('POST', '/mfa/recovery-codes', undefined, withMfa.body.access_token);
      assert.equal(fresh.body.recovery_codes.length, 10);
      assert.equal((await auth('DELETE', '/mfa/totp', undefined, withMfa.body.access_token)).status, 204);
      assert.equal((await auth('GET', '/mfa', undefined, withMfa.body.access_token)).body.totp, false);
      assert.equal((await auth('POST', '/login', { email: 'pupil@example.com', password: PASSWORD })).status, 200, 'no second factor, no second step');
    });

    it('tells each user by mail of their second-factor changes, queued with the change: app added, recovery code used, app removed', async () => {
      const mailed = async (email: string) => {
        const { rows } = await as.db.knex.raw<{ rows: { template: string }[] }>(
          "select template from mail_outbox where recipient = ? and template in ('second_factor_added', 'second_factor_removed', 'recovery_code_used') order by created_at",
          [email],
        );
        return rows.map((r) => r.template);
      };
      assert.deepEqual(await mailed('chief@example.com'), ['second_factor_added', 'recovery_code_used']);
      assert.deepEqual(await mailed('pupil@example.com'), ['second_factor_added', 'second_factor_removed']);
    });

    it('wrong codes spend the sign-in budget: the verify step (then the login) pauses with 429', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const login = await auth('POST', '/login', { email: 'chief@example.com', password: PASSWORD });
        if (login.status === 429) {
          statuses.push(429);
          break;
        }
        statuses.push((await auth('POST', '/mfa/verify', { mfa_token: login.body.mfa_token, code: '123456' })).status);
      }
      assert.ok(statuses.includes(429), statuses.join(' '));
    });
  });
}
