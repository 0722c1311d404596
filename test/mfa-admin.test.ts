import assert from 'node:assert/strict';
import { PASSWORD, startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { jsonApi } from './helpers/json-api.js';
import { totpCode } from './helpers/mfa-login.js';
import { runCli } from './helpers/processes.js';
import { testEngines } from './helpers/test-database.js';

/** An admin (API) or operator (CLI) removes the second factors of a user who lost them: audited, no secret shown. */
for (const engine of testEngines()) {
  describe(`resetting a user's second factors on ${engine}`, function () {
    this.timeout(60_000);
    let as: TestAuthServer;
    let auth: ReturnType<typeof jsonApi>;
    let admin: ReturnType<typeof jsonApi>;
    let rootToken: string;
    let pupilId: string;

    before(async () => {
      as = await startAuthServer(engine);
      auth = jsonApi(`${as.issuer}/api/auth`);
      admin = jsonApi(`${as.issuer}/api/admin`);
      await as.createUser('root@example.com', 'admin');
      pupilId = (await as.createUser('pupil@example.com', 'student')).id;
      rootToken = (await auth('POST', '/login', { email: 'root@example.com', password: PASSWORD })).body.access_token;
    });
    after(async () => {
      await as?.stop();
    });

    /** The pupil sets up an authenticator app through the JSON API; afterwards login asks for a code. */
    async function enrolPupil(): Promise<void> {
      const token = (await auth('POST', '/login', { email: 'pupil@example.com', password: PASSWORD })).body.access_token;
      const { secret } = (await auth('POST', '/mfa/totp', undefined, token)).body;
      assert.equal((await auth('POST', '/mfa/totp/confirm', { code: await totpCode(secret) }, token)).status, 200);
      assert.equal((await auth('POST', '/login', { email: 'pupil@example.com', password: PASSWORD })).body.error, 'MFA_REQUIRED');
    }

    it('DELETE /api/admin/users/:id/mfa removes them (audited with the admin as actor); the user signs in with the password again', async () => {
      await enrolPupil();
      const reset = await admin('DELETE', `/users/${pupilId}/mfa`, undefined, rootToken);
      assert.equal(reset.status, 200);
      assert.deepEqual(reset.body, { totp_removed: true, passkeys_removed: 0, recovery_codes_removed: 10 });
      assert.equal((await auth('POST', '/login', { email: 'pupil@example.com', password: PASSWORD })).status, 200);
      const row = await as.db.knex('audit_events').where({ event: 'mfa.reset', user_id: pupilId }).first();
      assert.equal(row.actor_type, 'user');
      assert.equal(row.details.via, 'admin_api');
      assert.equal((await admin('DELETE', '/users/00000000-0000-4000-8000-000000000000/mfa', undefined, rootToken)).status, 404);
    });

    it('a user without manage_users cannot reset anyone', async () => {
      const pupil = (await auth('POST', '/login', { email: 'pupil@example.com', password: PASSWORD })).body.access_token;
      const rootId = (await admin('GET', '/users?search=root', undefined, rootToken)).body.users[0].id;
      assert.equal((await admin('DELETE', `/users/${rootId}/mfa`, undefined, pupil)).status, 403);
    });

    it('auth-connect user mfa-reset does the same from the CLI, audited as the CLI', async () => {
      await enrolPupil();
      const r = await runCli(['user', 'mfa-reset', '--email', 'pupil@example.com', '--json'], as.env);
      assert.equal(r.code, 0, r.stderr);
      const printed = JSON.parse(r.stdout);
      const { email, totp_removed, passkeys_removed, recovery_codes_removed } = printed;
      assert.deepEqual(
        { email, totp_removed, passkeys_removed, recovery_codes_removed },
        { email: 'pupil@example.com', totp_removed: true, passkeys_removed: 0, recovery_codes_removed: 10 },
      );
      assert.doesNotMatch(r.stdout, /secret|hash/i, 'nothing secret is printed');
      assert.equal((await auth('POST', '/login', { email: 'pupil@example.com', password: PASSWORD })).status, 200);
      const rows = await as.db.knex('audit_events').where({ event: 'mfa.reset', user_id: pupilId }).orderBy('id');
      assert.equal(rows.at(-1).actor_type, 'cli');
      // the user is told of each reset by mail (one from the admin API, one from the CLI), queued with it
      const notices = await as.db.knex('mail_outbox').where({ recipient: 'pupil@example.com', template: 'second_factor_removed' });
      assert.equal(notices.length, 2);
    });
  });
}
