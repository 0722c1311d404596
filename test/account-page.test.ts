import assert from 'node:assert/strict';
import { PASSWORD, startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { CookieJar, csrfOf, request } from './helpers/browserless-login.js';
import { totpCode } from './helpers/mfa-login.js';
import { testEngines } from './helpers/test-database.js';

const form = (body: Record<string, string>): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(body).toString(),
});

/** /account over HTTP: it signs in through our own login (code flow), and manages the authenticator app and recovery codes. */
for (const engine of testEngines()) {
  describe(`the account page on ${engine}`, function () {
    this.timeout(60_000);
    let as: TestAuthServer;

    before(async () => {
      as = await startAuthServer(engine);
      await as.createUser('own@example.com', 'student');
    });
    after(async () => {
      await as?.stop();
    });

    /** Follows redirects from `url`, filling in the login form (and a second factor) when it comes. */
    async function open(jar: CookieJar, url: string, code?: () => Promise<string>): Promise<{ status: number; html: string; url: string }> {
      let response = await request(jar, new URL(url, as.issuer).href);
      let at = url;
      for (let step = 0; step < 12; step++) {
        const location = response.headers.get('location');
        if (location) {
          at = new URL(location, as.issuer).href;
          response = await request(jar, at);
          continue;
        }
        const html = await response.text();
        const path = new URL(at, as.issuer).pathname;
        if (response.status === 200 && path.startsWith('/interaction/') && html.includes('/login"')) {
          response = await request(jar, new URL(`${path}/login`, as.issuer).href, form({ csrf: csrfOf(html), email: 'own@example.com', password: PASSWORD }));
          continue;
        }
        if (response.status === 200 && path.endsWith('/second-factor') && code) {
          response = await request(jar, new URL(path, as.issuer).href, form({ csrf: csrfOf(html), code: await code() }));
          continue;
        }
        return { status: response.status, html, url: at };
      }
      throw new Error('too many redirects');
    }

    it('signs in through our login, manages the authenticator app and recovery codes; every form needs its CSRF token', async () => {
      const jar = new CookieJar();
      const first = await open(jar, '/account');
      assert.equal(first.status, 200);
      assert.match(first.html, /Signed in as own@example\.com/);
      assert.equal(new URL(first.url).pathname, '/account');
      const sessions = await as.db.knex('user_sessions').where({ client_id: 'auth-connect-account' });
      assert.equal(sessions.length, 1, 'the page signed in as a session of its own client');

      const setup = await open(jar, '/account/totp');
      const secret = /id="totp-secret">([A-Z2-7]+)</.exec(setup.html)![1]!;
      const refused = await request(jar, `${as.issuer}/account/totp`, form({ csrf: 'forged', code: await totpCode(secret) }));
      assert.equal(refused.status, 403, 'a form without the CSRF token is refused');
      const wrong = await request(jar, `${as.issuer}/account/totp`, form({ csrf: csrfOf(setup.html), code: '000000' }));
      assert.equal(wrong.status, 400);
      assert.match(await wrong.text(), new RegExp(secret), 'a wrong code shows the same secret again');
      const confirmed = await request(jar, `${as.issuer}/account/totp`, form({ csrf: csrfOf(setup.html), code: await totpCode(secret) }));
      assert.equal(confirmed.status, 200);
      const codes = [...(await confirmed.text()).matchAll(/<li><code>([^<]+)<\/code><\/li>/g)].map((m) => m[1]);
      assert.equal(codes.length, 10, 'the recovery codes are shown once');

      const page = await open(jar, '/account');
      assert.match(page.html, /On: codes from your authenticator app/);
      assert.match(page.html, /10 of 10 unused/);
      const regenerated = await request(jar, `${as.issuer}/account/recovery-codes`, form({ csrf: csrfOf(page.html) }));
      const fresh = [...(await regenerated.text()).matchAll(/<li><code>([^<]+)<\/code><\/li>/g)].map((m) => m[1]);
      assert.equal(fresh.length, 10);
      assert.notDeepEqual(fresh, codes);

      // a new browser now needs the second factor to reach the page; a recovery code's use shows there
      const other = await open(new CookieJar(), '/account', async () => fresh[0]!);
      assert.match(other.html, /Signed in as own@example\.com/);
      assert.match(other.html, /9 of 10 unused/);
      assert.match(other.html, /A recovery code was last used \d{4}-\d\d-\d\d \d\d:\d\d \(UTC\)/);

      const removed = await request(jar, `${as.issuer}/account/totp/remove`, form({ csrf: csrfOf(page.html) }));
      assert.equal(removed.status, 303);
      assert.equal(removed.headers.get('location'), '/account?done=saved');
      assert.match((await open(jar, '/account?done=saved')).html, /Saved\.[\s\S]*Off\./);
      const events = (await as.db.knex('audit_events').whereLike('event', 'mfa.%').orderBy('id')).map((row) => row.event);
      assert.deepEqual(events, ['mfa.totp.enrolled', 'mfa.recovery_codes.regenerated', 'mfa.recovery_code.used', 'mfa.totp.removed']);
    });

    it("the self-service sections refuse what is not theirs: this page's own session, unknown sessions, the page as an app, permissions the user lacks", async () => {
      const jar = new CookieJar();
      const page = await open(jar, '/account/sessions');
      assert.equal(page.status, 200);
      const csrf = csrfOf(page.html);
      const own = /class="item current" data-session="([0-9a-f-]{36})"/.exec(page.html)?.[1];
      assert.ok(own, 'after the sign-in the page comes back to the section asked for, listing its own session as the current one');
      const post = (path: string, body: Record<string, string>) => request(jar, `${as.issuer}${path}`, form({ csrf, ...body }));
      assert.equal((await post(`/account/sessions/${own}/end`, {})).status, 400, 'this page ends with "sign out", not from the list');
      assert.equal((await post('/account/sessions/00000000-0000-4000-8000-000000000000/end', {})).status, 404);
      assert.equal((await post('/account/apps/revoke', { client_id: 'auth-connect-account' })).status, 400);
      const beyond = await post('/account/api-keys', { name: 'too much', expires_in_days: '30', permissions: 'manage_users' });
      assert.equal(beyond.status, 400);
      assert.match(await beyond.text(), /The key was not created: an API key cannot carry permissions its owner lacks: manage_users/);
      const mismatch = await post('/account/password', { current_password: PASSWORD, new_password: 'Another-Secret-42', new_password_again: 'Different-42' });
      assert.equal(mismatch.status, 400);
      assert.match(await mismatch.text(), /The two new passwords differ\./);
      const weak = await post('/account/password', { current_password: PASSWORD, new_password: 'short', new_password_again: 'short' });
      assert.equal(weak.status, 400);
      assert.match(await weak.text(), /The new password does not meet the rules:/);
      assert.equal((await as.db.knex('api_keys').where({ name: 'too much' })).length, 0);
      const same = await post('/account/email', { new_email: 'own@example.com', password: PASSWORD });
      assert.equal(same.status, 400);
      assert.match(await same.text(), /this is already the address of your account/);
      for (const section of ['/account/apps', '/account/api-keys', '/account/email', '/account/password']) {
        assert.equal((await open(jar, section)).status, 200, section);
      }

      // "End all other sessions": another browser's page session ends, this one stays
      const elsewhere = new CookieJar();
      assert.equal((await open(elsewhere, '/account')).status, 200);
      const ended = await post('/account/sessions/others/end', {});
      assert.equal(ended.status, 303);
      assert.equal(ended.headers.get('location'), '/account/sessions?done=sessions_ended');
      assert.equal((await request(elsewhere, `${as.issuer}/account`)).status, 302, 'the other browser must sign in again');
      assert.equal((await request(jar, `${as.issuer}/account/sessions`)).status, 200);
    });

    it('signing out ends the page session; its forms then answer 401 and the page asks to sign in again', async () => {
      const jar = new CookieJar();
      const page = await open(jar, '/account');
      const out = await request(jar, `${as.issuer}/account/logout`, form({ csrf: csrfOf(page.html) }));
      assert.equal(out.status, 303);
      const again = await request(jar, `${as.issuer}/account`);
      assert.equal(again.status, 302);
      assert.match(again.headers.get('location')!, /\/auth\?client_id=auth-connect-account/);
    });
  });
}
