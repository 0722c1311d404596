import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { PASSWORD, startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { launchChromium, requireChromium } from './helpers/browser.js';
import { configDirWith } from './helpers/config-dir.js';
import { jsonApi } from './helpers/json-api.js';
import { linkIn, startSmtpSink, type SmtpSink } from './helpers/smtp-sink.js';
import { testEngines } from './helpers/test-database.js';
import { REDIRECT, tokenRequest, type TestClient } from './helpers/token-flows.js';

const NEW_PASSWORD = 'Brand-New-Pass-7';

for (const engine of testEngines()) {
  describe(`in a browser: a forgotten password and a confirmed address through the mailed links on ${engine}`, function () {
    this.timeout(120_000);
    let as: TestAuthServer;
    let smtp: SmtpSink;
    let browser: Browser;
    let client: TestClient;

    before(async function () {
      requireChromium(this);
      smtp = await startSmtpSink();
      [as, browser] = await Promise.all([
        startAuthServer(engine, { SMTP_URL: smtp.url, CONFIG_DIR: configDirWith({ auth_config: { mail: { new_device_notice: true } } }) }),
        launchChromium(),
      ]);
      const created = await as.createClient({ name: 'Mail App', grant: 'authorization_code', redirectUris: [REDIRECT], firstParty: true });
      client = { clientId: created.client.client_id, secret: created.secret };
    });
    after(async () => {
      await browser?.close();
      await as?.stop();
      await smtp?.close();
    });

    /** Opens the app's sign-in (an authorization request) in a fresh browser context; the code comes back to REDIRECT. */
    async function openSignIn(): Promise<{ page: Page; verifier: string }> {
      const context = await browser.newContext();
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      const verifier = oidc.randomPKCECodeVerifier();
      const url = new URL('/auth', as.issuer);
      url.search = new URLSearchParams({
        client_id: client.clientId,
        redirect_uri: REDIRECT,
        response_type: 'code',
        scope: 'openid email',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: oidc.randomState(),
      }).toString();
      await page.goto(url.href);
      await page.waitForSelector('#email');
      return { page, verifier };
    }

    /** Signs in on our login page and returns the tokens the code buys (the redirect to REDIRECT goes nowhere; its URL is enough). */
    async function signIn(page: Page, verifier: string, email: string, password: string) {
      await page.fill('#email', email);
      await page.fill('#password', password);
      const callback = page.waitForRequest((request) => request.url().startsWith(REDIRECT));
      await page.click('button.primary');
      const code = new URL((await callback).url()).searchParams.get('code');
      assert.ok(code, 'the login ended with a code');
      const tokens = await tokenRequest(as.issuer, client, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier });
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      return tokens.body;
    }

    it('"Forgot password?" on the login page, the mail, its link, a new password under the policy, then signing in with it', async () => {
      await as.createUser('forgetful@example.com');
      const { page } = await openSignIn();
      await page.click('#forgot-password');
      await page.waitForURL(/\/forgot-password$/);
      await page.fill('#email', 'forgetful@example.com');
      await page.click('button.primary');
      assert.equal(await page.textContent('#page-title'), 'Check your email');

      const mail = await smtp.waitFor('forgetful@example.com', /Reset your password/);
      await page.goto(linkIn(mail, 'reset-password').href);
      assert.match(String(await page.textContent('.lead')), /forgetful@example\.com/);
      await page.fill('#password', 'short');
      await page.click('button.primary');
      assert.match(String(await page.textContent('#reset-error')), /does not meet the rules/);
      await page.fill('#password', NEW_PASSWORD);
      await page.click('button.primary');
      assert.equal(await page.textContent('#page-title'), 'Password changed');

      // the link works once
      await page.goto(linkIn(mail, 'reset-password').href);
      assert.equal(await page.textContent('#page-title'), 'This link cannot be used');
      await page.context().close();

      const old = await openSignIn();
      await old.page.fill('#email', 'forgetful@example.com');
      await old.page.fill('#password', PASSWORD);
      await old.page.click('button.primary');
      await old.page.waitForSelector('#login-error');
      const tokens = await signIn(old.page, old.verifier, 'forgetful@example.com', NEW_PASSWORD);
      assert.ok(tokens.id_token);
      await old.page.context().close();
      await smtp.waitFor('forgetful@example.com', /password .* was changed/);
      // this browser had never signed in to the account: the user is told
      assert.match((await smtp.waitFor('forgetful@example.com', /new sign-in/)).text, /HeadlessChrome|Chrome/);
    });

    it('a confirmation link opens a page whose button confirms the address; the ID token then says email_verified', async () => {
      const registered = await jsonApi(`${as.issuer}/api/auth`)('POST', '/register', { email: 'fresh@example.com', password: PASSWORD }, undefined, {
        'accept-language': 'de',
      });
      assert.equal(registered.status, 201);
      const mail = await smtp.waitFor('fresh@example.com', /Bestätigen Sie Ihre E-Mail-Adresse/);
      const link = linkIn(mail, 'verify-email');
      assert.equal(link.searchParams.get('lang'), 'de');
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(link.href);
      assert.equal(await page.getAttribute('html', 'lang'), 'de');
      await page.click('button.primary');
      assert.equal(await page.textContent('#page-title'), 'Adresse bestätigt');
      await context.close();

      const { page: signInPage, verifier } = await openSignIn();
      const tokens = await signIn(signInPage, verifier, 'fresh@example.com', PASSWORD);
      const claims = JSON.parse(Buffer.from(String(tokens.id_token).split('.')[1]!, 'base64url').toString()) as { email_verified: boolean };
      assert.equal(claims.email_verified, true);
      await signInPage.context().close();
    });
  });
}
