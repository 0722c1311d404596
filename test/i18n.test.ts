import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chooseLocale, fromAcceptLanguage, fromUiLocales, LOCALES } from '../src/i18n/index.js';
import { CATALOGUES } from '../src/i18n/messages.js';
import { viewsDir } from '../src/paths.js';
import { startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { CookieJar, request } from './helpers/browserless-login.js';
import { configDirWith } from './helpers/config-dir.js';
import { testEngines } from './helpers/test-database.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
const PKCE = { code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' };
const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
const langOf = (html: string) => /<html lang="([^"]*)">/.exec(html)?.[1];
const h1Of = (html: string) => /<h1 id="page-title">([^<]*)<\/h1>/.exec(html)?.[1];
const titleOf = (html: string) => /<title>([^<]*)<\/title>/.exec(html)?.[1];

describe('message catalogues', () => {
  it('every catalogue has exactly the English keys, with the same placeholders, none empty', () => {
    const english = CATALOGUES.en;
    for (const locale of LOCALES) {
      const catalogue = CATALOGUES[locale] as Record<string, string>;
      assert.deepEqual(Object.keys(catalogue).sort(), Object.keys(english).sort(), `${locale}: the same keys as en`);
      for (const [key, text] of Object.entries(catalogue)) {
        assert.ok(text.trim(), `${locale} ${key}: not empty`);
        assert.deepEqual(placeholders(text), placeholders(english[key as keyof typeof english]), `${locale} ${key}: the same placeholders`);
      }
    }
  });

  it('no template in views/ holds text outside the catalogue: between tags and in attributes people read there are only template expressions', () => {
    const templates = readdirSync(viewsDir).filter((name) => name.endsWith('.eta'));
    assert.ok(templates.length >= 10, `the templates: ${templates.join(', ')}`);
    for (const name of templates) {
      const source = readFileSync(path.join(viewsDir, name), 'utf8');
      const withoutCode = source.replace(/<%[\s\S]*?%>/g, ' ');
      for (const attribute of withoutCode.matchAll(/\s(aria-label|title|placeholder|alt|label)="([^"]*)"/g)) {
        assert.doesNotMatch(attribute[2]!, /\p{L}/u, `${name}: ${attribute[1]}="${attribute[2]}" is text outside the catalogue`);
      }
      const text = withoutCode.replace(/<!DOCTYPE[^>]*>/i, ' ').replace(/<[^>]*>/g, ' ');
      const words = text.match(/\p{L}[\p{L}\p{N}'’-]*/gu);
      assert.equal(words, null, `${name}: text outside the catalogue: ${words?.join(' ')}`);
    }
  });

  it('the scan would see hard-coded text', () => {
    const scan = (source: string) =>
      source
        .replace(/<%[\s\S]*?%>/g, ' ')
        .replace(/<[^>]*>/g, ' ')
        .match(/\p{L}+/gu);
    assert.deepEqual(scan('<h1><%= it.t("login.title") %></h1>'), null);
    assert.deepEqual(scan('<button class="primary">Sign in</button>'), ['Sign', 'in']);
  });
});

describe('choosing the language', () => {
  it('reads Accept-Language by q-value', () => {
    assert.equal(fromAcceptLanguage('de-DE,de;q=0.9', 'en'), 'de');
    assert.equal(fromAcceptLanguage('fr-FR, fr;q=0.9, de;q=0.8, en;q=0.7', 'en'), 'de', 'the first supported one by q');
    assert.equal(fromAcceptLanguage('en;q=0.5, de;q=0.8', 'en'), 'de', 'by q, not by order');
    assert.equal(fromAcceptLanguage('de;q=0.5, en;q=0.5', 'en'), 'de', 'equal q keep their order');
    assert.equal(fromAcceptLanguage('de;q=0, en;q=0.1', 'de'), 'en', 'q=0 means not this one');
    assert.equal(fromAcceptLanguage('DE-at', 'en'), 'de', 'case and region do not matter');
    assert.equal(fromAcceptLanguage('fr, *;q=0.1', 'de'), 'de', '* stands for the default');
    assert.equal(fromAcceptLanguage('fr, ja', 'en'), undefined);
    assert.equal(fromAcceptLanguage('de;q=2, en;q=abc', 'en'), undefined, 'an unreadable q skips the range');
    assert.equal(fromAcceptLanguage('<script>, ;;, de', 'en'), 'de', 'junk is skipped');
    assert.equal(fromAcceptLanguage('', 'en'), undefined);
  });

  it('ui_locales, then the cookie, then Accept-Language, then the default', () => {
    assert.equal(fromUiLocales('fr de en'), 'de', 'the first supported one');
    assert.equal(chooseLocale({ uiLocales: 'de', cookie: 'en', acceptLanguage: 'en' }, 'en'), 'de');
    assert.equal(chooseLocale({ uiLocales: 'fr', cookie: 'de', acceptLanguage: 'en' }, 'en'), 'de');
    assert.equal(chooseLocale({ cookie: 'xx', acceptLanguage: 'de' }, 'en'), 'de', 'an unknown cookie value is ignored');
    assert.equal(chooseLocale({ uiLocales: 'fr', cookie: undefined, acceptLanguage: 'ja' }, 'de'), 'de');
    assert.equal(chooseLocale({ chosen: 'en', uiLocales: 'de' }, 'de'), 'en', 'a language just picked with the switch wins');
    assert.equal(chooseLocale({ uiLocales: ['de'] }, 'en'), 'en', 'not a string: ignored');
  });
});

for (const engine of testEngines()) {
  describe(`pages in English and German on ${engine}`, function () {
    this.timeout(120_000);
    let as: TestAuthServer;
    let germanByDefault: TestAuthServer;
    let clientId: string;

    before(async () => {
      [as, germanByDefault] = await Promise.all([
        startAuthServer(engine),
        startAuthServer(engine, { CONFIG_DIR: configDirWith({ auth_config: { pages: { default_locale: 'de' } } }) }),
      ]);
      clientId = (await as.createClient({ name: 'Sprach-App', grant: 'authorization_code', redirectUris: [REDIRECT] })).client.client_id;
    });
    after(() => Promise.all([as?.stop(), germanByDefault?.stop()]));

    /** The login page of a fresh authorization request, as a browser with these headers and cookies sees it. */
    async function loginPage(options: { uiLocales?: string; acceptLanguage?: string; cookie?: string } = {}): Promise<string> {
      const jar = new CookieJar();
      const headers: Record<string, string> = options.acceptLanguage ? { 'accept-language': options.acceptLanguage } : {};
      const params = new URLSearchParams({
        client_id: clientId,
        redirect_uri: REDIRECT,
        response_type: 'code',
        scope: 'openid',
        ...PKCE,
        ...(options.uiLocales ? { ui_locales: options.uiLocales } : {}),
      });
      const start = await request(jar, `${as.issuer}/auth?${params}`, { headers });
      assert.equal(start.status, 303, `the authorization request: ${start.status}`);
      const location = new URL(start.headers.get('location')!, as.issuer);
      assert.match(location.pathname, /^\/interaction\//);
      const response = await fetch(location, {
        headers: { ...headers, accept: 'text/html', cookie: [jar.header(), options.cookie].filter(Boolean).join('; ') },
      });
      assert.equal(response.status, 200);
      return response.text();
    }

    it('ui_locales=de shows the German login page, with <html lang="de">', async () => {
      const html = await loginPage({ uiLocales: 'de' });
      assert.equal(langOf(html), 'de');
      assert.equal(h1Of(html), 'Anmelden');
      assert.match(html, /um mit <strong>Sprach-App<\/strong> fortzufahren/);
      assert.match(html, /<label for="password">Passwort<\/label>/);
      assert.match(html, />Abbrechen und zur App zurückkehren</);
      assert.match(titleOf(html)!, /^Anmelden · /);
      assert.doesNotMatch(html, /Sign in|Password/);
      assert.equal(langOf(await loginPage({ uiLocales: 'fr-CA de-CH en' })), 'de', 'the first ui_locales we have');
      const discovery = (await (await fetch(`${as.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      assert.deepEqual(discovery.ui_locales_supported, ['en', 'de'], 'discovery names the languages');
      assert.deepEqual(discovery.claim_types_supported, ['normal'], "the engine's other discovery defaults stay");
    });

    it('Accept-Language: de-DE,de;q=0.9 shows German; without it, English', async () => {
      const german = await loginPage({ acceptLanguage: 'de-DE,de;q=0.9' });
      assert.equal(langOf(german), 'de');
      assert.equal(h1Of(german), 'Anmelden');
      const english = await loginPage();
      assert.equal(langOf(english), 'en');
      assert.equal(h1Of(english), 'Sign in');
      assert.equal(h1Of(await loginPage({ acceptLanguage: 'fr;q=0.9, en;q=0.8, de;q=0.7' })), 'Sign in', 'by q-value');
    });

    it('the language cookie wins over Accept-Language; ui_locales wins over the cookie', async () => {
      assert.equal(h1Of(await loginPage({ acceptLanguage: 'de-DE,de;q=0.9', cookie: 'ac_lang=en' })), 'Sign in');
      assert.equal(h1Of(await loginPage({ acceptLanguage: 'en-US,en;q=0.9', cookie: 'ac_lang=de' })), 'Anmelden');
      assert.equal(h1Of(await loginPage({ uiLocales: 'de', cookie: 'ac_lang=en' })), 'Anmelden');
    });

    it('an unknown language falls back to the configured default (en as shipped, de when pages.default_locale says so)', async () => {
      const html = await loginPage({ uiLocales: 'fr', acceptLanguage: 'fr-FR,fr;q=0.9,ja;q=0.8', cookie: 'ac_lang=xx' });
      assert.equal(langOf(html), 'en');
      assert.equal(h1Of(html), 'Sign in');
      for (const headers of [{ 'accept-language': 'fr-FR,fr;q=0.9' }, {}]) {
        const landing = await fetch(`${germanByDefault.issuer}/`, { headers });
        const text = await landing.text();
        assert.equal(langOf(text), 'de', JSON.stringify(headers));
        assert.equal(h1Of(text), 'Anmeldedienst');
        assert.equal(landing.headers.get('content-language'), 'de');
      }
      const english = await fetch(`${germanByDefault.issuer}/`, { headers: { 'accept-language': 'en' } });
      assert.equal(h1Of(await english.text()), 'Sign-in service', 'a language we have still wins over the default');
    });

    it('error pages, the 404 page and the landing page speak German, with the technical detail unchanged', async () => {
      const de = { accept: 'text/html', 'accept-language': 'de' };
      const unknownClient = await fetch(
        `${as.issuer}/auth?${new URLSearchParams({ client_id: 'no-such-client', redirect_uri: REDIRECT, response_type: 'code', scope: 'openid' })}`,
        { headers: de },
      );
      let html = await unknownClient.text();
      assert.equal(unknownClient.status, 400);
      assert.equal(h1Of(html), 'Diese Anwendung ist nicht bekannt');
      assert.match(titleOf(html)!, /^Fehler: Diese Anwendung ist nicht bekannt · /);
      assert.match(html, /<p class="detail">Technisches Detail: <code>invalid_client<\/code>/);
      const redirectMismatch = await fetch(
        `${as.issuer}/auth?${new URLSearchParams({ client_id: clientId, redirect_uri: 'https://evil.example/cb', response_type: 'code', scope: 'openid', ui_locales: 'de' })}`,
        { headers: { accept: 'text/html' } },
      );
      assert.equal(h1Of(await redirectMismatch.text()), 'Diese Anwendung ist falsch eingerichtet', "the provider's own error page reads ui_locales");
      const notFound = await fetch(`${as.issuer}/nope`, { headers: de });
      html = await notFound.text();
      assert.equal(notFound.status, 404);
      assert.equal(h1Of(html), 'Seite nicht gefunden');
      const expired = await fetch(`${as.issuer}/interaction/not-a-real-one`, { headers: de });
      assert.equal(h1Of(await expired.text()), 'Diese Anmeldung ist abgelaufen');
      const landing = await fetch(`${as.issuer}/`, { headers: de });
      html = await landing.text();
      assert.equal(h1Of(html), 'Anmeldedienst');
      assert.match(html, /Dokumentation: <code>README\.md<\/code>/);
      assert.match(html, /<footer class="footer">\s*<p>Geschützt durch auth-connect<\/p>/);
    });

    it('the language switch is plain links that set the cookie; the cookie then keeps the language', async () => {
      const jar = new CookieJar();
      const first = await request(jar, `${as.issuer}/?x=1`, { headers: { 'accept-language': 'en' } });
      const links = [...(await first.text()).matchAll(/<a href="([^"]+)" hreflang="(\w+)"/g)].map((m) => [m[2], m[1]!.replace(/&amp;/g, '&')]);
      assert.deepEqual(links, [
        ['en', '/?x=1&lang=en'],
        ['de', '/?x=1&lang=de'],
      ]);
      const switched = await request(jar, `${as.issuer}${links[1]![1]}`, { headers: { 'accept-language': 'en' } });
      assert.equal(h1Of(await switched.text()), 'Anmeldedienst');
      const cookie = switched.headers.getSetCookie().find((line) => line.startsWith('ac_lang='));
      assert.match(cookie!, /^ac_lang=de; path=\/; expires=[^;]+; samesite=lax; httponly$/);
      const later = await request(jar, `${as.issuer}/nope`, { headers: { 'accept-language': 'en' } });
      assert.equal(h1Of(await later.text()), 'Seite nicht gefunden', 'the cookie beats Accept-Language');
      assert.equal(
        (await request(jar, `${as.issuer}/?lang=xx`, { headers: { 'accept-language': 'en' } })).headers.getSetCookie().length,
        0,
        'an unknown language sets nothing',
      );
      const sneaky = await fetch(`${as.issuer}/.//evil.example/x`, { headers: { accept: 'text/html' } });
      for (const [, href] of (await sneaky.text()).matchAll(/<a href="([^"]+)" hreflang/g)) assert.match(href!, /^\/[^/]/, `${href}: stays on this site`);
    });

    it('the consent page lists the permission items in German', async () => {
      await as.createUser('sprache@example.com', 'student');
      const jar = new CookieJar();
      const headers = { 'accept-language': 'de' };
      const params = new URLSearchParams({
        client_id: clientId,
        redirect_uri: REDIRECT,
        response_type: 'code',
        scope: 'openid email read',
        prompt: 'consent',
        ...PKCE,
      });
      let response = await request(jar, `${as.issuer}/auth?${params}`, { headers });
      const interaction = new URL(response.headers.get('location')!, as.issuer);
      response = await request(jar, interaction.href, { headers });
      const csrf = /name="csrf" value="([^"]+)"/.exec(await response.text())![1]!;
      response = await request(jar, `${interaction.href}/login`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf, email: 'sprache@example.com', password: 'wrong' }).toString(),
      });
      const failed = await response.text();
      assert.equal(response.status, 401);
      assert.match(failed, /role="alert" id="login-error">E-Mail-Adresse oder Passwort ist nicht korrekt/);
      response = await request(jar, `${interaction.href}/login`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf, email: 'sprache@example.com', password: 'Secret123' }).toString(),
      });
      assert.equal(response.status, 303);
      for (let step = 0; step < 4 && !/^\/interaction\/[^/]+$/.test(new URL(response.headers.get('location')!, as.issuer).pathname); step++) {
        response = await request(jar, new URL(response.headers.get('location')!, as.issuer).href, { headers });
      }
      const consentUrl = new URL(response.headers.get('location')!, as.issuer);
      const consent = await (await request(jar, consentUrl.href, { headers })).text();
      assert.equal(h1Of(consent), 'Zugriff erlauben?');
      const items = [...consent.matchAll(/<li>([^<]*)<\/li>/g)].map((m) => m[1]);
      assert.deepEqual(items, ['Wissen, wer Sie sind', 'Ihre E-Mail-Adresse sehen', 'Read courses and content (Berechtigung „read“)']);
      assert.match(consent, /Angemeldet als <strong>sprache@example\.com<\/strong>/);
      assert.match(consent, />Erlauben<\/button>/);
    });
  });
}
