import assert from 'node:assert/strict';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { packageRoot } from '../src/paths.js';
import { freePort, PASSWORD, startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { chromiumForSuite } from './helpers/browser.js';
import { configDirWith } from './helpers/config-dir.js';
import { testEngines } from './helpers/test-database.js';

const IMAGES = path.join(packageRoot, 'docs', 'images');

/**
 * Passkeys in Chromium with a CDP virtual authenticator (internal transport, resident keys, user
 * verification): added on the account page, then signing in with the passkey alone, and as the second
 * factor after a password. The README's screenshots are taken here.
 */
describe('passkeys in a browser', function () {
  this.timeout(120_000);
  const chromium = chromiumForSuite();

  for (const engine of testEngines()) {
    describe(`on ${engine}`, () => {
      let as: TestAuthServer;
      /** WebAuthn takes a domain, never an IP address, as RP ID: this server's issuer is http://localhost:PORT. */
      let issuer: string;
      let context: BrowserContext;
      let page: Page;

      before(async () => {
        const port = await freePort();
        issuer = `http://localhost:${port}`;
        const configDir = configDirWith({ auth_config: { mfa: { required_for_roles: ['admin'] } } });
        as = await startAuthServer(engine, { CONFIG_DIR: configDir, PORT: String(port), ISSUER: issuer });
        await as.createUser('kim@example.com', 'student');
        context = await chromium().newContext();
        page = await context.newPage();
        page.setDefaultTimeout(15_000);
        const cdp = await context.newCDPSession(page);
        await cdp.send('WebAuthn.enable');
        await cdp.send('WebAuthn.addVirtualAuthenticator', {
          options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
        });
      });
      after(async () => {
        await context?.close();
        await as?.stop();
      });

      const onAccount = (url: URL) => url.origin === issuer && url.pathname === '/account';
      const onLogin = (url: URL) => url.origin === issuer && url.pathname.startsWith('/interaction/');

      it('a user adds a named passkey on the account page; it is listed with its last use', async () => {
        await page.goto(`${issuer}/account`);
        await page.waitForURL(onLogin);
        await page.getByLabel('Email').fill('kim@example.com');
        await page.getByLabel('Password').fill(PASSWORD);
        await page.getByRole('button', { name: 'Sign in', exact: true }).click();
        await page.waitForURL(onAccount);
        assert.match((await page.locator('.lead').textContent()) ?? '', /Signed in as kim@example\.com/);

        await page.getByLabel('Name for the new passkey').fill('Work laptop');
        await page.getByRole('button', { name: 'Add a passkey' }).click();
        await page.waitForURL((url) => onAccount(url) && url.searchParams.get('done') === 'passkey');
        assert.equal(await page.locator('#account-notice').textContent(), 'Passkey added.');
        assert.equal(await page.locator('.passkey-name').textContent(), 'Work laptop');
        assert.match((await page.locator('#passkey-list .hint').textContent()) ?? '', /not used yet/);
        if (engine === 'embedded') await page.screenshot({ path: path.join(IMAGES, 'passkey-account.png'), fullPage: true });
        const added = await as.db.knex('audit_events').where({ event: 'mfa.passkey.added' });
        assert.equal(added.length, 1);
      });

      it('the email field offers the passkey (conditional mediation): chosen, it signs in alone and satisfies the MFA policy of an admin', async () => {
        // the policy now demands a second factor of this user: a passkey with user verification is one
        await as.db.knex('users').where({ email: 'kim@example.com' }).update({ role: 'admin' });
        await context.clearCookies();
        // the virtual authenticator answers the email field's autofill request at once, as a user picking the passkey would
        await page.goto(`${issuer}/account`);
        await page.waitForURL(onAccount);
        assert.match((await page.locator('.lead').textContent()) ?? '', /Signed in as kim@example\.com/);
        assert.match((await page.locator('#passkey-list .hint').textContent()) ?? '', /last used/);
        const login = await as.db.knex('audit_events').where({ event: 'login' }).orderBy('id', 'desc').first();
        assert.equal(login.details.method, 'passkey');
      });

      it('"Use a passkey" signs in with the passkey alone, no password', async () => {
        // from here on the browser offers no autofill, so the page waits for the button (and, next, the password)
        await page.addInitScript(() => {
          (
            globalThis as unknown as { PublicKeyCredential: { isConditionalMediationAvailable: () => Promise<boolean> } }
          ).PublicKeyCredential.isConditionalMediationAvailable = async () => false;
        });
        await context.clearCookies();
        await page.goto(`${issuer}/account`);
        await page.waitForURL(onLogin);
        assert.equal(await page.getByLabel('Email').getAttribute('autocomplete'), 'username webauthn');
        const button = page.getByRole('button', { name: 'Use a passkey' });
        await button.waitFor();
        if (engine === 'embedded') await page.screenshot({ path: path.join(IMAGES, 'passkey-sign-in.png'), fullPage: true });
        await button.click();
        await page.waitForURL(onAccount);
        assert.match((await page.locator('.lead').textContent()) ?? '', /Signed in as kim@example\.com/);
      });

      it('after a password, the passkey is the second factor', async () => {
        await context.clearCookies();
        await page.goto(`${issuer}/account`);
        await page.waitForURL(onLogin);
        await page.getByLabel('Email').fill('kim@example.com');
        await page.getByLabel('Password').fill(PASSWORD);
        await page.getByRole('button', { name: 'Sign in', exact: true }).click();
        await page.waitForURL((url) => url.pathname.endsWith('/second-factor'));
        await page.getByRole('button', { name: 'Use a passkey instead' }).click();
        await page.waitForURL(onAccount);
        assert.match((await page.locator('.lead').textContent()) ?? '', /Signed in as kim@example\.com/);
        const used = await as.db.knex('audit_events').where({ event: 'mfa.passkey.used' });
        assert.equal(used.length, 1);
      });

      it('removing the passkey is audited', async () => {
        await page.getByRole('button', { name: 'Remove' }).click();
        await page.waitForURL((url) => onAccount(url) && url.searchParams.get('done') === 'saved');
        assert.match((await page.locator('#passkeys').textContent()) ?? '', /No passkeys yet/);
        assert.equal((await as.db.knex('audit_events').where({ event: 'mfa.passkey.removed' })).length, 1);
      });
    });
  }
});
