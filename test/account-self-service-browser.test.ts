import assert from 'node:assert/strict';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { BrowserContext, Page } from 'playwright-core';
import { packageRoot } from '../src/paths.js';
import { PASSWORD, startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { chromiumForSuite } from './helpers/browser.js';
import { testEngines } from './helpers/test-database.js';
import { codeFlow, exchangeApiKey, REDIRECT, refresh, type TestClient } from './helpers/token-flows.js';

const IMAGES = path.join(packageRoot, 'docs', 'images');
const SCOPE = 'openid email offline_access read';
const NEW_PASSWORD = 'Another-Secret-42';

/**
 * The self-service half of /account in Chromium: a user takes an app's access away and ends another
 * session (their refresh tokens then fail at /token), changes the password, and makes an API key that a
 * script exchanges at /token; CSRF, an axe-core scan of every view, the views at 375 px, keyboard focus, and
 * the README's screenshots. The first, the main flow, on both databases; the rest on the embedded one.
 */
describe('the account page: self-service in a browser', function () {
  this.timeout(60_000);
  const chromium = chromiumForSuite();

  for (const engine of testEngines()) {
    describe(`on ${engine}`, () => {
      let as: TestAuthServer;
      let context: BrowserContext;
      let page: Page;
      let thirdParty: TestClient;
      let firstParty: TestClient;

      before(async () => {
        as = await startAuthServer(engine);
        await as.createUser('sam@example.com', 'student');
        const other = await as.createClient({ name: 'Study Planner', grant: 'authorization_code', redirectUris: [REDIRECT] });
        thirdParty = { clientId: other.client.client_id, secret: other.secret };
        const own = await as.createClient({ name: 'Course App', grant: 'authorization_code', redirectUris: [REDIRECT], firstParty: true });
        firstParty = { clientId: own.client.client_id, secret: own.secret };
        context = await chromium().newContext({ locale: 'en-US' });
        page = await context.newPage();
        page.setDefaultTimeout(15_000);
      });
      after(async () => {
        await context?.close();
        await as?.stop();
      });

      const at = (pathname: string) => (url: URL) => url.pathname === pathname;
      async function signIn(password = PASSWORD): Promise<void> {
        await page.goto(`${as.issuer}/account`);
        await page.waitForURL((url) => url.pathname.startsWith('/interaction/'));
        await page.getByLabel('Email').fill('sam@example.com');
        await page.getByLabel('Password').fill(password);
        await page.getByRole('button', { name: 'Sign in', exact: true }).click();
        await page.waitForURL(at('/account'));
      }

      it("removing an app's access and ending another session make their refresh tokens fail at /token", async () => {
        const planner = await codeFlow(as.issuer, thirdParty, 'sam@example.com', SCOPE);
        const course = await codeFlow(as.issuer, firstParty, 'sam@example.com', SCOPE);
        assert.ok(planner.body.refresh_token && course.body.refresh_token);
        await signIn();

        await page.getByRole('link', { name: 'Apps with access' }).click();
        await page.waitForURL(at('/account/apps'));
        const plannerEntry = page.locator(`[data-client="${thirdParty.clientId}"]`);
        assert.match((await plannerEntry.textContent()) ?? '', /Study Planner[\s\S]*See your email address[\s\S]*permission "read"/);
        assert.equal(await page.locator(`[data-client="${firstParty.clientId}"] .item-name`).textContent(), 'Course App');
        assert.equal(await page.locator('[data-client="auth-connect-account"]').count(), 0, 'the page itself is not an app to remove');
        if (engine === 'embedded') await page.screenshot({ path: path.join(IMAGES, 'account-apps.png'), fullPage: true });
        await page.getByRole('button', { name: /^Remove access\s?: Study Planner$/ }).click();
        await page.waitForURL((url) => at('/account/apps')(url) && url.searchParams.get('done') === 'app_revoked');
        assert.equal(await plannerEntry.count(), 0);
        assert.equal((await refresh(as.issuer, thirdParty, planner.body.refresh_token)).body.error, 'invalid_grant');
        const [revoked] = await as.db.knex('audit_events').where({ event: 'app_access.revoked' });
        assert.equal(revoked.client_id, thirdParty.clientId);
        assert.equal(revoked.details.sessions_ended, 1);

        await page.getByRole('link', { name: 'Sessions and devices' }).click();
        await page.waitForURL(at('/account/sessions'));
        assert.match((await page.locator('.item.current').textContent()) ?? '', /Your account[\s\S]*This page, in this browser/);
        if (engine === 'embedded') await page.screenshot({ path: path.join(IMAGES, 'account-sessions.png'), fullPage: true });
        await page.getByRole('button', { name: /^End this session\s?: Course App, / }).click();
        await page.waitForURL((url) => at('/account/sessions')(url) && url.searchParams.get('done') === 'session_ended');
        assert.equal(await page.locator('.item').count(), 1, 'only this page is left');
        assert.equal((await refresh(as.issuer, firstParty, course.body.refresh_token)).body.error, 'invalid_grant');
      });

      // the main flow above runs on both databases; the rest, whose SQL other suites cover on both, on one
      if (engine !== 'embedded') return;

      it('changing the password ends the other sessions and keeps this one', async () => {
        const course = await codeFlow(as.issuer, firstParty, 'sam@example.com', SCOPE);
        await page.goto(`${as.issuer}/account`);
        await page.getByRole('link', { name: 'Change password' }).click();
        await page.waitForURL(at('/account/password'));
        await page.getByLabel('Current password').fill('not-the-password');
        await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
        await page.getByLabel('New password again').fill(NEW_PASSWORD);
        await page.getByRole('button', { name: 'Change password' }).click();
        assert.equal(await page.locator('#form-error').textContent(), 'The current password is not correct.');
        await page.getByLabel('Current password').fill(PASSWORD);
        await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
        await page.getByLabel('New password again').fill(NEW_PASSWORD);
        await page.getByRole('button', { name: 'Change password' }).click();
        await page.waitForURL((url) => at('/account')(url) && url.searchParams.get('done') === 'password');
        assert.equal(await page.locator('#account-notice').textContent(), 'Password changed. Your other sessions have ended.');
        assert.equal((await refresh(as.issuer, firstParty, course.body.refresh_token)).body.error, 'invalid_grant');
        await codeFlow(as.issuer, firstParty, 'sam@example.com', SCOPE, { password: NEW_PASSWORD });
        assert.equal((await as.db.knex('audit_events').where({ event: 'password.change', outcome: 'success' })).length, 1);
      });

      it('an API key made on the page is shown once and works at /token until it is revoked', async () => {
        await page.goto(`${as.issuer}/account/api-keys`);
        await page.getByLabel('Name', { exact: true }).fill('backup script');
        await page.getByLabel('Expires after (days, at most 365)').fill('30');
        await page.getByRole('checkbox', { name: /^chat / }).uncheck();
        await page.getByRole('checkbox', { name: /^save_progress / }).uncheck();
        await page.getByRole('button', { name: 'Create the key' }).click();
        const key = (await page.locator('#new-key-value').textContent()) ?? '';
        assert.match(key, /^ack_[0-9a-f]{16}_/);
        if (engine === 'embedded') await page.screenshot({ path: path.join(IMAGES, 'account-api-keys.png'), fullPage: true });
        const exchanged = await exchangeApiKey(as.issuer, key);
        assert.equal(exchanged.status, 200, JSON.stringify(exchanged.body));
        assert.deepEqual(exchanged.claims?.permissions, ['read']);

        await page.goto(`${as.issuer}/account/api-keys`);
        assert.equal(await page.locator('#new-key-value').count(), 0, 'the key is not shown again');
        await page.getByRole('button', { name: /^Revoke\s?: backup script$/ }).click();
        await page.waitForURL((url) => at('/account/api-keys')(url) && url.searchParams.get('done') === 'key_revoked');
        assert.equal((await exchangeApiKey(as.issuer, key)).body.error, 'invalid_grant');
      });

      it('every form refuses a post without the CSRF token', async () => {
        for (const [action, form] of [
          ['/account/password', { current_password: NEW_PASSWORD, new_password: 'Third-Secret-43', new_password_again: 'Third-Secret-43' }],
          ['/account/sessions/others/end', {}],
          ['/account/apps/revoke', { client_id: firstParty.clientId }],
          ['/account/api-keys', { name: 'forged' }],
          ['/account/email', { new_email: 'forged@example.com', password: NEW_PASSWORD }],
        ] as const) {
          const answer = await page.request.post(`${as.issuer}${action}`, { form: { ...form, csrf: 'forged' }, maxRedirects: 0 });
          assert.equal(answer.status(), 403, action);
        }
        assert.equal((await as.db.knex('api_keys').where({ name: 'forged' })).length, 0);
      });

      it('the profile says the address is unconfirmed, mails a new link, and moves the address only through a link to the new one', async () => {
        await page.goto(`${as.issuer}/account`);
        assert.equal(await page.locator('#email-state').textContent(), 'Not confirmed yet: open the link we mailed you.');
        await page.getByRole('button', { name: 'Send a new confirmation link' }).click();
        await page.waitForURL((url) => at('/account')(url) && url.searchParams.get('done') === 'verification_sent');
        assert.equal((await as.db.knex('email_tokens').where({ purpose: 'verify_email', email: 'sam@example.com' })).length, 1);

        await page.getByRole('link', { name: 'Change email address' }).click();
        await page.waitForURL(at('/account/email'));
        await page.getByLabel('New email address').fill('sam.new@example.com');
        await page.getByLabel('Current password').fill(NEW_PASSWORD);
        await page.getByRole('button', { name: 'Send the confirmation link' }).click();
        await page.waitForURL((url) => at('/account')(url) && url.searchParams.get('done') === 'email_sent');
        assert.equal(await page.locator('#account-email').textContent(), 'sam@example.com', 'nothing changes before the link is used');
        assert.equal((await as.db.knex('email_tokens').where({ purpose: 'change_email', email: 'sam.new@example.com' })).length, 1);
      });

      const VIEWS = ['/account', '/account/email', '/account/password', '/account/sessions', '/account/apps', '/account/api-keys'];

      it('every view passes an axe-core scan with no serious or critical violation, and fits 375 px', async () => {
        // at the narrowest width the page supports: the scan's rules hardly depend on width, overflow does
        await page.setViewportSize({ width: 375, height: 800 });
        for (const view of VIEWS) {
          await page.goto(`${as.issuer}${view}`);
          // only the violations are wanted: leaving out the passes makes each scan much cheaper
          const { violations } = await new AxeBuilder({ page }).options({ resultTypes: ['violations'] }).analyze();
          const grave = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`);
          assert.deepEqual(grave, [], view);
          const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
          assert.ok(overflow <= 0, `${view} scrolls sideways at 375 px`);
        }
        await page.goto(`${as.issuer}/account`);
        await page.screenshot({ path: path.join(IMAGES, 'account-profile-375.png'), fullPage: true });
        await page.setViewportSize({ width: 1024, height: 800 });
      });

      it('the keyboard reaches the sections with a visible focus ring, and the page speaks German', async () => {
        await page.goto(`${as.issuer}/account`);
        await page.keyboard.press('Tab');
        const focused = await page.evaluate<{ text: string; outline: string }>(
          '({ text: document.activeElement.textContent, outline: getComputedStyle(document.activeElement).outlineStyle })',
        );
        assert.equal(focused.text, 'Profile and security');
        assert.notEqual(focused.outline, 'none');
        await page.keyboard.press('Tab');
        await page.keyboard.press('Enter');
        await page.waitForURL(at('/account/sessions'));
        await page.goto(`${as.issuer}/account/apps?lang=de`);
        assert.equal(await page.locator('h1').textContent(), 'Apps mit Zugriff');
      });
    });
  }
});
