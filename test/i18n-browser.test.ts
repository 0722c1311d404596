import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { launchChromium, requireChromium } from './helpers/browser.js';
import { testEngines } from './helpers/test-database.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
const PKCE = { code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' };

// one engine is enough: the language of a page does not touch the database
for (const engine of testEngines().slice(0, 1)) {
  describe(`in a browser: the pages in German and English on ${engine}`, function () {
    this.timeout(120_000);
    let as: TestAuthServer;
    let browser: Browser;
    let clientId: string;

    before(async function () {
      requireChromium(this);
      [as, browser] = await Promise.all([startAuthServer(engine), launchChromium()]);
      clientId = (await as.createClient({ name: 'Sprach-App', grant: 'authorization_code', redirectUris: [REDIRECT] })).client.client_id;
    });
    after(async () => {
      await browser?.close();
      await as?.stop();
    });

    const authorizationUrl = (extra: Record<string, string> = {}) =>
      `${as.issuer}/auth?${new URLSearchParams({ client_id: clientId, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', ...PKCE, ...extra })}`;

    it('a German browser gets the German login page; the switch (plain links, no JavaScript) changes it and the choice stays; ui_locales still wins over the cookie, not over a language picked on its page', async () => {
      const context = await browser.newContext({ locale: 'de-DE', javaScriptEnabled: false });
      try {
        const page = await context.newPage();
        page.setDefaultTimeout(15_000);
        await page.goto(authorizationUrl());
        assert.equal(await page.locator('html').getAttribute('lang'), 'de');
        assert.equal(await page.locator('h1').textContent(), 'Anmelden');
        assert.match(await page.title(), /^Anmelden · /);
        assert.equal(await page.getByLabel('Passwort').count(), 1);
        assert.equal(await page.getByRole('button', { name: 'Anmelden' }).count(), 1);

        await page.getByRole('link', { name: 'English' }).click();
        await page.waitForLoadState();
        assert.equal(await page.locator('html').getAttribute('lang'), 'en');
        assert.equal(await page.locator('h1').textContent(), 'Sign in');
        assert.equal(await page.getByRole('link', { name: 'Deutsch' }).count(), 1);

        await page.goto(authorizationUrl());
        assert.equal(await page.locator('h1').textContent(), 'Sign in', "the cookie the switch set wins over the browser's German");

        await page.goto(authorizationUrl({ ui_locales: 'de' }));
        assert.equal(await page.locator('h1').textContent(), 'Anmelden', "the app's ui_locales wins over the cookie");
        // picked on this page, English wins over ui_locales here, also on the page a failed sign-in answers with
        await page.getByRole('link', { name: 'English' }).click();
        await page.waitForLoadState();
        assert.equal(await page.locator('h1').textContent(), 'Sign in');
        await page.getByLabel('Email').fill('nobody@example.com');
        await page.getByLabel('Password').fill('wrong-password');
        await page.getByRole('button', { name: 'Sign in' }).click();
        assert.match((await page.getByRole('alert').textContent())!, /^The email or password is not correct/);
        assert.equal(await page.locator('html').getAttribute('lang'), 'en');
      } finally {
        await context.close();
      }
    });
  });
}
