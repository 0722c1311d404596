import assert from 'node:assert/strict';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { BrowserContext, Page } from 'playwright-core';
import { createApiKey } from '../src/apikeys/api-keys-service.js';
import { CLI_CALLER } from '../src/rbac/caller.js';
import { PASSWORD, startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { chromiumForSuite } from './helpers/browser.js';
import { testEngines } from './helpers/test-database.js';
import { clientCredentials, codeFlow, REDIRECT, refresh } from './helpers/token-flows.js';

const IMAGES = path.join(import.meta.dirname, '..', '..', 'docs', 'images');

/**
 * axe-core's serious and critical findings on the page, by the WCAG 2.x A and AA rules (its best-practice rules,
 * none of them a WCAG failure, are left out, and only violations are collected: the scan is most of this file's time).
 */
async function graveFindings(page: Page): Promise<string[]> {
  // legacy mode runs axe in the page itself; the default opens a blank tab per scan to merge the results of
  // frames, and our pages have none
  const { violations } = await new AxeBuilder({ page })
    .setLegacyMode(true)
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'])
    .options({ resultTypes: ['violations'] })
    .analyze();
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/**
 * The admin console (/console) in Chromium: an operator signs in through our own login and does the admin
 * API's work from the pages; a user without manage_users / manage_system gets 403 pages and no admin links;
 * a change without the CSRF token is refused; every page passes axe-core with no serious or critical finding.
 * The main flow runs on every database; the page-by-page checks on the first only (they exercise no SQL the
 * main flow does not, beyond the listings).
 */
describe('the admin console in Chromium', function () {
  this.timeout(120_000);
  const chromium = chromiumForSuite();

  for (const [index, engine] of testEngines().entries()) {
    const first = index === 0;
    describe(`on ${engine}`, () => {
      let as: TestAuthServer;
      let context: BrowserContext;
      let page: Page;
      let appClientId: string;

      before(async () => {
        as = await startAuthServer(engine);
        await as.createUser('ops@example.com', 'admin');
        await as.createUser('kim@example.com', 'student');
        const { client } = await as.createClient({ name: 'Course app', grant: 'authorization_code', redirectUris: [REDIRECT], public: true, firstParty: true });
        appClientId = client.client_id;
        context = await chromium().newContext({ viewport: { width: 1280, height: 900 } });
        page = await context.newPage();
        page.setDefaultTimeout(15_000);
      });
      after(async () => {
        await context?.close();
        await as?.stop();
      });

      const at = (pathname: string) => (url: URL) => url.origin === as.issuer && url.pathname === pathname;

      async function signIn(target: Page, email: string) {
        await target.goto(`${as.issuer}/console`);
        await target.waitForURL((url) => url.pathname.startsWith('/interaction/'));
        await target.getByLabel('Email').fill(email);
        await target.getByLabel('Password').fill(PASSWORD);
        await target.getByRole('button', { name: 'Sign in', exact: true }).click();
        await target.waitForURL(at('/console'));
      }

      const shot = async (name: string) => {
        if (first) await page.screenshot({ path: path.join(IMAGES, `console-${name}.png`), fullPage: true });
      };

      it('an operator signs in through our login, registers a client whose secret works at /token, and disables a user whose refresh token then fails', async () => {
        const { body: tokens } = await codeFlow(as.issuer, { clientId: appClientId }, 'kim@example.com', 'openid offline_access');
        assert.ok(tokens.refresh_token, 'the app holds a refresh token of kim');

        await signIn(page, 'ops@example.com');
        assert.equal(await page.locator('h1').textContent(), 'Overview');
        assert.equal(await page.locator('figure.chart svg rect').count(), 72, 'three charts of 24 hours, drawn on the server');
        assert.ok(Number(await page.locator('#logins-day').textContent()) >= 2, 'the sign-ins of kim and the operator are counted');
        const sessions = await as.db.knex('user_sessions').where({ client_id: 'auth-connect-console' });
        assert.equal(sessions.length, 1, 'the console signed in as a session of its own client');
        await shot('overview');

        await page.getByRole('link', { name: 'Clients' }).click();
        await page.getByLabel('Name').fill('Nightly reports');
        await page.getByLabel('Grant type').selectOption('client_credentials');
        await page.getByRole('checkbox', { name: 'read', exact: true }).check();
        await page.getByRole('button', { name: 'Register client' }).click();
        const clientId = (await page.locator('#new-client-id').textContent())!;
        const secret = (await page.locator('#new-client-secret').textContent())!;
        assert.match(secret, /\S{20,}/, 'the secret is shown once');
        await shot('client-secret');
        const token = await clientCredentials(as.issuer, { clientId, secret }, 'read');
        assert.equal(token.status, 200, JSON.stringify(token.body));
        assert.deepEqual(token.claims?.permissions, ['read']);

        await page.getByRole('link', { name: 'Users' }).click();
        await page.getByLabel('Search by email').fill('kim@');
        await page.getByRole('button', { name: 'Search', exact: true }).click();
        await page.getByRole('link', { name: 'kim@example.com' }).click();
        await page.getByRole('button', { name: 'Disable user' }).click();
        assert.match((await page.locator('#console-notice').textContent()) ?? '', /disabled/);
        assert.equal(await page.locator('#user-state').textContent(), 'disabled');
        assert.equal(await page.locator('#no-sessions').count(), 1, 'their session ended');
        assert.equal((await refresh(as.issuer, { clientId: appClientId }, tokens.refresh_token)).status, 400, "the disabled user's refresh token fails");
        const audit = await as.db.knex('audit_events').where({ event: 'user.disabled' }).first();
        assert.equal(audit.details.via, 'console', 'the change is audited as made in the console');
        await shot('user');
        await page.getByRole('button', { name: 'Enable user' }).click();
        assert.equal(await page.locator('#user-state').textContent(), 'active');
      });

      if (!first) return;

      it('every console page: its action works, and axe-core finds nothing serious or critical', async () => {
        const kim = (await as.db.knex('users').where({ email: 'kim@example.com' }).first())!;
        const client = (await as.db.knex('clients').where({ client_name: 'Nightly reports' }).first())!;
        const pages = [
          '/console',
          '/console/users',
          `/console/users/${kim.id}`,
          '/console/sessions',
          '/console/roles',
          '/console/clients',
          `/console/clients/${client.client_id}`,
          '/console/api-keys',
          '/console/keys',
          '/console/audit',
        ];
        for (const pathname of pages) {
          await page.goto(`${as.issuer}${pathname}`);
          assert.deepEqual(await graveFindings(page), [], `${pathname}: axe-core findings`);
        }

        // clients: edit the redirect URIs and rotate the secret
        await page.goto(`${as.issuer}/console/clients/${client.client_id}`);
        await page.getByRole('button', { name: 'Rotate secret' }).click();
        const rotated = (await page.locator('#new-client-secret').textContent())!;
        assert.equal((await clientCredentials(as.issuer, { clientId: client.client_id, secret: rotated }, 'read')).status, 200);

        // users: create one, change its role (within the operator's permissions), end its sessions, send a reset link
        await page.goto(`${as.issuer}/console/users`);
        await page.getByLabel('Email', { exact: true }).fill('new@example.com');
        await page.getByLabel('Initial password').fill(PASSWORD);
        await page.getByLabel('Role').selectOption('guest');
        await page.getByRole('button', { name: 'Create user' }).click();
        assert.equal(await page.locator('h1').textContent(), 'new@example.com');
        await page.getByLabel('Role', { exact: true }).selectOption('instructor');
        await page.getByRole('button', { name: 'Save' }).click();
        assert.equal(await page.locator('#user-role').textContent(), 'instructor');
        await page.getByRole('button', { name: 'End all sessions' }).click();
        assert.match((await page.locator('#console-notice').textContent()) ?? '', /Every session/);
        await page.getByRole('button', { name: 'Send a password reset link' }).click();
        assert.match((await page.locator('#console-notice').textContent()) ?? '', /reset link/);
        await page.getByRole('button', { name: 'Reset second factors' }).click();
        assert.match((await page.locator('#console-notice').textContent()) ?? '', /second factors/);

        // clients: edit the redirect URIs and the first-party flag of the app
        await page.goto(`${as.issuer}/console/clients/${appClientId}`);
        await page.getByLabel('Redirect URIs (one a line)', { exact: true }).fill(`${REDIRECT}\nhttps://app.example.com/callback`);
        await page.getByRole('checkbox', { name: 'First-party (no consent page)' }).uncheck();
        await page.getByRole('button', { name: 'Save' }).click();
        const app = (await as.db.knex('clients').where({ client_id: appClientId }).first())!;
        assert.deepEqual(app.metadata.redirect_uris, [REDIRECT, 'https://app.example.com/callback']);
        assert.equal(app.first_party, false);

        // API keys across users: revoke one
        await createApiKey({ db: as.db.knex, config: as.config }, CLI_CALLER, kim, { name: 'Laptop script' });
        await page.goto(`${as.issuer}/console/api-keys`);
        await page.getByRole('button', { name: 'Revoke the API key Laptop script' }).click();
        assert.match((await page.locator('#console-notice').textContent()) ?? '', /Revoked/);
        assert.equal((await as.db.knex('api_keys').where({ name: 'Laptop script' }).first())?.is_active, false);

        // signing keys: rotate, with the schedule shown
        await page.goto(`${as.issuer}/console/keys`);
        const before = await page.locator('#signing-keys tbody tr').count();
        await page.getByRole('button', { name: 'Rotate signing keys' }).click();
        assert.ok((await page.locator('#signing-keys tbody tr').count()) > before, 'the new keys are listed');
        await shot('keys');

        // sessions across users: end kim's
        await codeFlow(as.issuer, { clientId: appClientId }, 'kim@example.com', 'openid');
        await page.goto(`${as.issuer}/console/sessions`);
        assert.ok((await page.locator('#sessions').getByRole('link', { name: 'kim@example.com' }).count()) >= 1, "sessions are listed by their user's email");
        await page
          .getByRole('button', { name: new RegExp(`End the session of ${appClientId}`) })
          .first()
          .click();
        assert.match((await page.locator('#console-notice').textContent()) ?? '', /session ended/);

        // roles: read-only, with the users of each role
        await page.goto(`${as.issuer}/console/roles`);
        assert.equal(await page.locator('section[aria-labelledby=role-student] a').textContent(), 'kim@example.com');

        // audit log: filter by event, then export the filter as JSON lines
        await page.goto(`${as.issuer}/console/audit`);
        await page.getByLabel('Event').fill('user.disabled');
        await page.getByRole('button', { name: 'Apply filter' }).click();
        assert.equal(await page.locator('#audit-events tbody tr').count(), 1);
        await shot('audit');
        const exported = await page.request.get(`${as.issuer}${await page.locator('#audit-export').getAttribute('href')}`);
        const lines = (await exported.text())
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line));
        assert.deepEqual(
          lines.map((e) => e.event),
          ['user.disabled'],
        );

        // 375 px wide: nothing sticks out of the page sideways
        await page.setViewportSize({ width: 375, height: 800 });
        await page.goto(`${as.issuer}/console/users/${kim.id}`);
        assert.ok(Number(await page.evaluate('document.documentElement.scrollWidth')) <= 375, 'the page fits 375 px');
        await page.setViewportSize({ width: 1280, height: 900 });
      });

      it('a change without the CSRF token is refused, and nothing changes', async () => {
        const kim = (await as.db.knex('users').where({ email: 'kim@example.com' }).first())!;
        const answer = await page.request.post(`${as.issuer}/console/users/${kim.id}/disable`, { form: { csrf: 'forged' } });
        assert.equal(answer.status(), 403);
        const missing = await page.request.post(`${as.issuer}/console/users/${kim.id}/disable`, { form: {} });
        assert.equal(missing.status(), 403);
        assert.equal((await as.db.knex('users').where({ id: kim.id }).first())?.is_active, true);
      });

      it('a user without manage_users or manage_system sees 403 pages and no admin links', async () => {
        const other = await chromium().newContext();
        try {
          const student = await other.newPage();
          await signIn(student, 'kim@example.com');
          const answer = await student.goto(`${as.issuer}/console`);
          assert.equal(answer?.status(), 403);
          assert.match((await student.locator('#console-forbidden').textContent()) ?? '', /manage_users or manage_system/);
          assert.equal(await student.locator('#console-links').count(), 0);
          assert.equal(await student.locator('a[href^="/console/"]').count(), 0, 'no admin links');
          for (const pathname of ['/console/users', '/console/clients', '/console/audit', '/console/audit.jsonl']) {
            assert.equal((await student.goto(`${as.issuer}${pathname}`))?.status(), 403, pathname);
          }
          assert.deepEqual(await graveFindings(student), [], 'the 403 page: axe-core findings');
        } finally {
          await other.close();
        }
      });
    });
  }
});
