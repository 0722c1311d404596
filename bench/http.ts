import { createHash, randomBytes } from 'node:crypto';
import type { AuthorizationCodeItem } from './load/spec.js';
import { REDIRECT_URI } from './settings.js';
import { CookieJar } from '../test/helpers/browserless-login.js';

/** What the orchestrator sends itself (setup, never measured): logins, token requests, browserless code flows. */

export async function postJson(url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json().catch(() => ({}))) as Record<string, unknown> };
}

export async function postForm(
  url: string,
  params: Record<string, string>,
  basic?: { id: string; secret: string },
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(basic ? { authorization: basicAuth(basic) } : {}) },
    body: new URLSearchParams(params),
  });
  return { status: response.status, body: (await response.json().catch(() => ({}))) as Record<string, unknown> };
}

export function basicAuth(client: { id: string; secret: string }): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64')}`;
}

/** POST /api/auth/login; returns the tokens or throws with the answer. */
export async function apiLogin(origin: string, email: string, password: string): Promise<{ access_token: string; refresh_token: string }> {
  const { status, body } = await postJson(`${origin}/api/auth/login`, { email, password });
  if (status !== 200) throw new Error(`login of ${email} answered ${status}: ${JSON.stringify(body)}`);
  return body as { access_token: string; refresh_token: string };
}

/** A signed-in browser, as far as the authorization endpoint can tell: cookies and a PKCE pair. */
export interface BrowserSession {
  origin: string;
  clientId: string;
  jar: CookieJar;
  verifier: string;
  challenge: string;
}

async function go(session: BrowserSession, url: string, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(url, {
    ...init,
    redirect: 'manual',
    headers: { ...(init.headers as Record<string, string>), cookie: session.jar.header(), accept: 'text/html' },
  });
  session.jar.store(response);
  return response;
}

function authorizeUrl(session: BrowserSession): string {
  const url = new URL('/auth', session.origin);
  url.search = new URLSearchParams({
    client_id: session.clientId,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: 'openid email roles offline_access',
    code_challenge: session.challenge,
    code_challenge_method: 'S256',
    state: randomBytes(8).toString('base64url'),
  }).toString();
  return url.toString();
}

/** Follows redirects (and fills in our login form once) until the app's redirect URI; returns the code. */
async function authorize(session: BrowserSession, credentials?: { email: string; password: string }): Promise<string> {
  let response = await go(session, authorizeUrl(session));
  for (let step = 0; step < 10; step++) {
    const location = response.headers.get('location');
    if (!location) throw new Error(`expected a redirect, got ${response.status}: ${(await response.text()).slice(0, 300)}`);
    const next = new URL(location, session.origin);
    if (next.href.startsWith(REDIRECT_URI)) {
      const code = next.searchParams.get('code');
      if (!code) throw new Error(`no code in ${next.href}`);
      return code;
    }
    response = await go(session, next.href);
    if (response.status === 200 && next.pathname.startsWith('/interaction/')) {
      const html = await response.text();
      const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
      if (!csrf || !credentials || !html.includes('/login"')) throw new Error(`unexpected interaction page at ${next.pathname}`);
      response = await go(session, new URL(`${next.pathname}/login`, session.origin).href, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf, email: credentials.email, password: credentials.password }).toString(),
      });
    } else {
      await response.arrayBuffer();
    }
  }
  throw new Error('the authorization flow did not finish');
}

/** Signs in once on our login page (first-party client: no consent page). */
export async function signIn(origin: string, clientId: string, email: string, password: string): Promise<BrowserSession> {
  const verifier = randomBytes(32).toString('base64url');
  const session: BrowserSession = { origin, clientId, jar: new CookieJar(), verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
  await authorize(session, { email, password });
  return session;
}

/** One more authorization code from a signed-in session: one GET /auth, answered with a redirect to the app. */
export async function mintCode(session: BrowserSession): Promise<AuthorizationCodeItem> {
  return { code: await authorize(session), verifier: session.verifier };
}
