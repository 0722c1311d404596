import assert from 'node:assert/strict';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { API, PASSWORD, startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { CookieJar } from './helpers/browserless-login.js';
import { configDirWith } from './helpers/config-dir.js';
import { signInThroughPages, totpCode, verifiedIdToken } from './helpers/mfa-login.js';
import { testEngines } from './helpers/test-database.js';
import { REDIRECT, type TestClient } from './helpers/token-flows.js';

const ACR_MFA = 'urn:auth-connect:acr:mfa';

/**
 * Two-factor sign-in on our pages, end to end over HTTP: the policy for admins, TOTP set-up and codes,
 * replay, recovery codes, step-up through acr_values, `amr`/`acr` in signed tokens, and the throttle.
 */
for (const engine of testEngines()) {
  describe(`two-factor sign-in on our pages on ${engine}`, function () {
    this.timeout(60_000);
    let as: TestAuthServer;
    let client: TestClient;
    let jwks: ReturnType<typeof createRemoteJWKSet>;

    before(async () => {
      const configDir = configDirWith({
        auth_config: {
          mfa: { required_for_roles: ['admin'] },
          // small budgets, so that the throttle test runs out of them quickly
          login_throttle: { known_device: { burst: 3, per_hour: 1 }, per_account: { burst: 4, per_hour: 1 } },
        },
      });
      as = await startAuthServer(engine, { CONFIG_DIR: configDir });
      jwks = createRemoteJWKSet(new URL(`${as.issuer}/jwks`));
      const created = await as.createClient({ name: 'MFA App', grant: 'authorization_code', redirectUris: [REDIRECT], public: true, firstParty: true });
      client = { clientId: created.client.client_id };
    });
    after(async () => {
      await as?.stop();
    });

    const accessClaims = async (token: string) => (await jwtVerify(token, jwks, { issuer: as.issuer, audience: API })).payload;

    it('a student without a second factor signs in with the password alone: amr ["pwd"], acr of a password', async () => {
      await as.createUser('plain@example.com', 'student');
      const result = await signInThroughPages(as.issuer, client, { email: 'plain@example.com', password: PASSWORD });
      assert.deepEqual(result.pages, ['login']);
      const id = await verifiedIdToken(as.issuer, client.clientId, result.tokens!.id_token);
      assert.deepEqual(id.amr, ['pwd']);
      assert.equal(id.acr, 'urn:auth-connect:acr:pwd');
      assert.deepEqual((await accessClaims(result.tokens!.access_token)).amr, ['pwd']);
    });

    let adminSecret = '';
    let adminRecoveryCodes: string[] = [];

    it('an admin without a second factor cannot finish signing in until an authenticator app is set up', async () => {
      await as.createUser('boss@example.com', 'admin');
      const jar = new CookieJar();
      const refused = await signInThroughPages(as.issuer, client, { email: 'boss@example.com', password: PASSWORD, jar, enrol: () => '000000' });
      assert.deepEqual(refused.pages, ['login', 'enrol']);
      assert.equal(refused.status, 400, 'a wrong code does not finish the set-up');
      assert.equal(refused.tokens, undefined);

      const result = await signInThroughPages(as.issuer, client, {
        email: 'boss@example.com',
        password: PASSWORD,
        enrol: (secret) => {
          adminSecret = secret;
          return totpCode(secret);
        },
      });
      assert.deepEqual(result.pages, ['login', 'enrol', 'recovery-codes']);
      assert.equal(result.recoveryCodes?.length, 10);
      adminRecoveryCodes = result.recoveryCodes!;
      const id = await verifiedIdToken(as.issuer, client.clientId, result.tokens!.id_token);
      assert.deepEqual(id.amr, ['pwd', 'otp', 'mfa']);
      assert.equal(id.acr, ACR_MFA);
      assert.deepEqual((await accessClaims(result.tokens!.access_token)).amr, ['pwd', 'otp', 'mfa'], 'access tokens carry amr for APIs');
      const events = (await as.db.knex('audit_events').where({ event: 'mfa.totp.enrolled' })).length;
      assert.equal(events, 1);
    });

    it('the next sign-in asks for a code; a replayed or expired code is refused; a recovery code works once', async () => {
      const next = await totpCode(adminSecret, 30);
      const signedIn = await signInThroughPages(as.issuer, client, { email: 'boss@example.com', password: PASSWORD, code: () => next });
      assert.deepEqual(signedIn.pages, ['login', 'second-factor']);
      assert.equal(signedIn.status, 200);

      const replay = await signInThroughPages(as.issuer, client, { email: 'boss@example.com', password: PASSWORD, code: () => next });
      assert.equal(replay.status, 401, 'the same code twice is a replay');
      assert.match(replay.html!, /not correct, has expired or was used already/);
      const expired = await signInThroughPages(as.issuer, client, { email: 'boss@example.com', password: PASSWORD, code: () => totpCode(adminSecret, -120) });
      assert.equal(expired.status, 401, 'a code four steps old has expired');

      const recovery = adminRecoveryCodes[0]!;
      const withRecovery = await signInThroughPages(as.issuer, client, { email: 'boss@example.com', password: PASSWORD, code: () => recovery });
      assert.equal(withRecovery.status, 200);
      assert.deepEqual((await verifiedIdToken(as.issuer, client.clientId, withRecovery.tokens!.id_token)).amr, ['pwd', 'otp', 'mfa']);
      const again = await signInThroughPages(as.issuer, client, { email: 'boss@example.com', password: PASSWORD, code: () => recovery });
      assert.equal(again.status, 401, 'a recovery code is single use');
      const used = await as.db.knex('audit_events').where({ event: 'mfa.recovery_code.used' });
      assert.equal(used.length, 1);
    });

    it('step-up: a client asking acr_values=urn:auth-connect:acr:mfa of a password sign-in gets the second step, not the password again', async () => {
      await as.createUser('learner@example.com', 'student');
      const jar = new CookieJar();
      const first = await signInThroughPages(as.issuer, client, { email: 'learner@example.com', password: PASSWORD, jar });
      assert.equal((await verifiedIdToken(as.issuer, client.clientId, first.tokens!.id_token)).acr, 'urn:auth-connect:acr:pwd');
      const stepUp = await signInThroughPages(as.issuer, client, {
        email: 'learner@example.com',
        password: 'not asked',
        jar,
        params: { acr_values: ACR_MFA },
        enrol: (secret) => totpCode(secret),
      });
      assert.deepEqual(stepUp.pages, ['enrol', 'recovery-codes'], 'no password page: the browser is signed in');
      const id = await verifiedIdToken(as.issuer, client.clientId, stepUp.tokens!.id_token);
      assert.equal(id.acr, ACR_MFA);
      assert.deepEqual(id.amr, ['pwd', 'otp', 'mfa']);
      const again = await signInThroughPages(as.issuer, client, { email: 'learner@example.com', password: 'not asked', jar, params: { acr_values: ACR_MFA } });
      assert.deepEqual(again.pages, [], 'a session that has the second factor already satisfies the request');
    });

    it('wrong codes spend the same sign-in budget as wrong passwords: once it is empty even the right code is paused', async () => {
      const jar = new CookieJar();
      const statuses: number[] = [];
      for (let i = 0; i < 8 && !statuses.includes(429); i++) {
        statuses.push((await signInThroughPages(as.issuer, client, { email: 'boss@example.com', password: PASSWORD, jar, code: () => '123456' })).status);
      }
      assert.ok(statuses.includes(429), `the code check pauses: ${statuses.join(' ')}`);
      const right = await signInThroughPages(as.issuer, client, { email: 'boss@example.com', password: PASSWORD, jar, code: () => totpCode(adminSecret, 0) });
      assert.equal(right.status, 429, 'paused: not even the right code is checked');
    });
  });
}
