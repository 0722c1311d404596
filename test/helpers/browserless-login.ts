import assert from 'node:assert/strict';
import * as oidc from 'openid-client';

/** A tiny cookie jar: enough for a login flow against one origin. */
export class CookieJar {
  readonly #cookies = new Map<string, string>();
  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const index = pair!.indexOf('=');
      const name = pair!.slice(0, index).trim();
      const value = pair!.slice(index + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

export async function request(jar: CookieJar, url: string, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(url, {
    ...init,
    redirect: 'manual',
    headers: { ...(init.headers as Record<string, string>), cookie: jar.header(), accept: 'text/html' },
  });
  jar.store(response);
  return response;
}

export function csrfOf(html: string): string {
  const match = /name="csrf" value="([^"]+)"/.exec(html);
  assert.ok(match, 'the page has a CSRF field');
  return match[1]!;
}

export interface AuthorizeOptions {
  clientId: string;
  redirectUri: string;
  email: string;
  password: string;
  scope?: string;
  params?: Record<string, string>;
  /** A browser's cookies kept across flows (its `_session`, its device cookie); a fresh one by default. */
  jar?: CookieJar;
  /** Start from this authorization URL (e.g. one carrying a pushed request's request_uri) instead of building one. */
  url?: URL;
  /** How the authorization request is sent: a link (GET, the default) or a form (POST). */
  method?: 'GET' | 'POST';
}

export interface AuthorizeResult {
  callback: URL;
  /** The pages shown on the way, in order: 'login', 'consent'. */
  pages: string[];
  codeVerifier: string;
  state: string;
  nonce: string;
}

/**
 * Runs the authorization code flow the way a browser would, over plain HTTP: our login form, then the
 * consent form if one is shown, up to the redirect back to the app carrying the code.
 */
export async function authorizeWithoutBrowser(issuer: string, options: AuthorizeOptions): Promise<AuthorizeResult> {
  const jar = options.jar ?? new CookieJar();
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = new URL('/auth', issuer);
  url.search = new URLSearchParams({
    client_id: options.clientId,
    redirect_uri: options.redirectUri,
    response_type: 'code',
    scope: options.scope ?? 'openid email roles offline_access',
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    prompt: 'consent',
    ...options.params,
  }).toString();

  const pages: string[] = [];
  let response =
    options.method === 'POST'
      ? await request(jar, `${url.origin}${url.pathname}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: url.search.slice(1),
        })
      : await request(jar, (options.url ?? url).toString());
  for (let step = 0; step < 10; step++) {
    const location = response.headers.get('location');
    assert.ok(location, `expected a redirect, got ${response.status}: ${(await response.text()).slice(0, 500)}`);
    const next = new URL(location, issuer);
    if (next.href.startsWith(options.redirectUri)) return { callback: next, pages, codeVerifier, state, nonce };
    response = await request(jar, next.href);
    if (response.status === 200 && next.pathname.startsWith('/interaction/')) {
      const html = await response.text();
      const csrf = csrfOf(html);
      const form: { action: string; body: Record<string, string> } = html.includes('/login"')
        ? { action: `${next.pathname}/login`, body: { csrf, email: options.email, password: options.password } }
        : { action: `${next.pathname}/confirm`, body: { csrf } };
      pages.push(form.action.endsWith('/login') ? 'login' : 'consent');
      response = await request(jar, new URL(form.action, issuer).href, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form.body).toString(),
      });
      assert.equal(response.status, 303, `the ${form.action} form answered ${response.status}: ${(await response.clone().text()).slice(0, 300)}`);
    }
  }
  throw new Error('the authorization flow did not finish');
}

export async function clientConfig(issuer: string, clientId: string, secret?: string): Promise<oidc.Configuration> {
  return oidc.discovery(
    new URL(issuer),
    clientId,
    secret ? { client_secret: secret } : { token_endpoint_auth_method: 'none' },
    secret ? oidc.ClientSecretBasic(secret) : oidc.None(),
    {
      execute: [oidc.allowInsecureRequests],
    },
  );
}
