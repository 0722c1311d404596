import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';

export interface WebAppOptions {
  /** The auth-connect issuer (e.g. http://localhost:3000). */
  issuer: string;
  clientId: string;
  /** The client's secret; leave it out for a public client (PKCE alone). */
  clientSecret?: string;
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Address to listen on; default 127.0.0.1. */
  host?: string;
  /** The app's public URL if it is not http://HOST:PORT (the redirect URI is this + /callback). */
  publicUrl?: string;
  /** The example API (its GET /notes); default http://localhost:4001. */
  apiUrl?: string;
  /** Called with the token response after each login (tests use it to look at the access token). */
  onTokens?: (tokens: oidc.TokenEndpointResponse) => void;
}

export interface RunningWebApp {
  url: string;
  close(): Promise<void>;
}

interface SignedInUser {
  sub: string;
  email?: string;
  roles: string[];
  permissions: string[];
}

interface Session {
  /** The checks of the login in progress, kept here and never sent to the browser. */
  pending?: { codeVerifier: string; state: string; nonce: string; startedAt: number };
  tokens?: { accessToken: string; refreshToken?: string; idToken?: string };
  user?: SignedInUser;
}

/** Who the user is, and the permissions the example API checks: the consent page lists them, and tokens carry those the user holds. */
export const SCOPE = 'openid email roles offline_access read write delete';
const PENDING_LOGIN_MS = 10 * 60_000;
const MAX_SESSIONS = 10_000;

/**
 * An example web app (a "relying party") that signs users in with auth-connect using openid-client:
 * authorization code flow with PKCE S256, state and nonce; tokens stay on the server, the browser holds
 * only a random session cookie. It shows the user's roles and permissions, calls the example API with
 * the access token, and signs out through the issuer (RP-initiated logout).
 */
export async function startWebApp(options: WebAppOptions): Promise<RunningWebApp> {
  const apiUrl = (options.apiUrl ?? 'http://localhost:4001').replace(/\/+$/, '');
  const sessions = new Map<string, Session>();
  let url = '';
  let cookieName = 'example_session';
  let secureCookie = false;

  // discovered on first use (and again after a failure), so the app can start before the issuer does
  let configuration: Promise<oidc.Configuration> | undefined;
  const config = () => {
    configuration ??= discover(options).catch((error: unknown) => {
      configuration = undefined;
      throw error;
    });
    return configuration;
  };

  const routes: Record<string, (req: IncomingMessage, res: ServerResponse, session: Session | undefined) => Promise<void>> = {
    async '/'(_req, res, session) {
      const user = session?.user;
      if (!user) {
        send(res, 200, page('Example App', `<p>You are not signed in.</p>\n<p><a class="button" href="/login">Log in</a></p>`));
        return;
      }
      send(res, 200, page('Example App', signedInHtml(user), true));
    },

    async '/login'(_req, res, session) {
      const current = session ?? newSession(res);
      const codeVerifier = oidc.randomPKCECodeVerifier();
      const pending = { codeVerifier, state: oidc.randomState(), nonce: oidc.randomNonce(), startedAt: Date.now() };
      const authorizationUrl = oidc.buildAuthorizationUrl(await config(), {
        redirect_uri: `${url}/callback`,
        scope: SCOPE,
        code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state: pending.state,
        nonce: pending.nonce,
      });
      current.pending = pending;
      redirect(res, authorizationUrl.href);
    },

    async '/callback'(req, res, session) {
      const pending = session?.pending;
      if (!session || !pending || Date.now() - pending.startedAt > PENDING_LOGIN_MS) {
        send(
          res,
          400,
          page(
            'Sign-in failed',
            `<p role="alert">This sign-in was not started here, or it took too long.</p>\n<p><a href="/login">Log in again</a></p>`,
            Boolean(session?.tokens),
          ),
        );
        return;
      }
      delete session.pending;
      let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
      const cfg = await config();
      try {
        tokens = await oidc.authorizationCodeGrant(cfg, new URL(req.url ?? '/', url), {
          pkceCodeVerifier: pending.codeVerifier,
          expectedState: pending.state,
          expectedNonce: pending.nonce,
          idTokenExpected: true,
        });
      } catch (error) {
        const e = error as { error?: string; error_description?: string; message?: string };
        const reason = e.error ? `${e.error}${e.error_description ? `: ${e.error_description}` : ''}` : (e.message ?? 'unknown error');
        send(
          res,
          400,
          page(
            'Sign-in failed',
            `<p role="alert">The sign-in did not complete (${escapeHtml(reason)}).</p>\n<p><a href="/">Back</a> · <a href="/login">Log in again</a></p>`,
            Boolean(session.tokens),
          ),
        );
        return;
      }
      options.onTokens?.(tokens);
      const claims = tokens.claims()!;
      // userinfo with the access token, as most relying-party libraries do; the ID token's claims otherwise
      const info = await oidc.fetchUserInfo(cfg, tokens.access_token, claims.sub).catch(() => undefined);
      const source: Record<string, unknown> = { ...claims, ...info };
      // a new session id for the signed-in user (the one the login started with may have been planted)
      const previous = sessionIdOf(req);
      if (previous) sessions.delete(previous);
      const signedIn = newSession(res);
      signedIn.tokens = { accessToken: tokens.access_token, refreshToken: tokens.refresh_token, idToken: tokens.id_token };
      signedIn.user = {
        sub: claims.sub,
        email: typeof source.email === 'string' ? source.email : undefined,
        roles: stringList(source.roles),
        permissions: stringList(source.permissions),
      };
      redirect(res, `${url}/`);
    },

    async '/api'(_req, res, session) {
      if (!session?.tokens) {
        redirect(res, `${url}/`);
        return;
      }
      let response = await callApi(session.tokens.accessToken);
      if (response.status === 401 && session.tokens.refreshToken) {
        // the access token expired (they are short-lived): use the refresh token once, then retry
        const refreshed = await oidc.refreshTokenGrant(await config(), session.tokens.refreshToken).catch(() => undefined);
        if (refreshed) {
          session.tokens = {
            accessToken: refreshed.access_token,
            refreshToken: refreshed.refresh_token ?? session.tokens.refreshToken,
            idToken: refreshed.id_token ?? session.tokens.idToken,
          };
          response = await callApi(session.tokens.accessToken);
        }
      }
      const text = await response.text();
      let shown = text;
      try {
        shown = JSON.stringify(JSON.parse(text), null, 2);
      } catch {
        // not JSON: show it as it came
      }
      send(
        res,
        200,
        page(
          'API response',
          `<p>GET ${escapeHtml(apiUrl)}/notes answered <strong id="api-status">${response.status}</strong>:</p>\n<pre id="api-result">${escapeHtml(shown)}</pre>\n<p><a href="/">Back</a></p>`,
          true,
        ),
      );
    },

    async '/logout'(req, res, session) {
      const cookie = sessionIdOf(req);
      if (cookie) sessions.delete(cookie);
      clearCookie(res);
      if (!session?.tokens) {
        redirect(res, `${url}/`);
        return;
      }
      const cfg = await config();
      if (session.tokens.refreshToken) await oidc.tokenRevocation(cfg, session.tokens.refreshToken).catch(() => undefined);
      const endSession = oidc.buildEndSessionUrl(cfg, {
        post_logout_redirect_uri: `${url}/`,
        ...(session.tokens.idToken ? { id_token_hint: session.tokens.idToken } : {}),
      });
      redirect(res, endSession.href);
    },
  };

  async function callApi(accessToken: string): Promise<Response> {
    try {
      return await fetch(`${apiUrl}/notes`, { headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' } });
    } catch (error) {
      return new Response(JSON.stringify({ error: 'API_UNREACHABLE', message: (error as Error).message }), { status: 502 });
    }
  }

  function sessionIdOf(req: IncomingMessage): string | undefined {
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const [name, ...value] = part.trim().split('=');
      if (name === cookieName) return value.join('=');
    }
    return undefined;
  }

  function newSession(res: ServerResponse): Session {
    if (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value!);
    const id = randomBytes(32).toString('base64url');
    const session: Session = {};
    sessions.set(id, session);
    res.appendHeader('Set-Cookie', `${cookieName}=${id}; Path=/; HttpOnly; SameSite=Lax${secureCookie ? '; Secure' : ''}`);
    return session;
  }

  function clearCookie(res: ServerResponse): void {
    res.appendHeader('Set-Cookie', `${cookieName}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0${secureCookie ? '; Secure' : ''}`);
  }

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://app').pathname;
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    const id = sessionIdOf(req);
    const session = id ? sessions.get(id) : undefined;
    const signedIn = Boolean(session?.tokens);
    if (!route) {
      send(res, 404, page('Not found', '<p>There is no such page.</p>\n<p><a href="/">Home</a></p>', signedIn));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      send(res, 405, page('Not allowed', '<p>This page answers GET only.</p>', signedIn));
      return;
    }
    route(req, res, session).catch((error: unknown) => {
      console.error(error);
      if (!res.headersSent)
        send(
          res,
          502,
          page(
            'Something went wrong',
            `<p role="alert">${escapeHtml((error as Error).message ?? 'unexpected error')}</p>\n<p><a href="/">Home</a></p>`,
            signedIn,
          ),
        );
      else res.end();
    });
  });

  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  url = (options.publicUrl ?? `http://${options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1'}:${port}`).replace(/\/+$/, '');
  secureCookie = url.startsWith('https:');
  if (secureCookie) cookieName = '__Host-example_session';

  return {
    url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function discover(options: WebAppOptions): Promise<oidc.Configuration> {
  const clientAuth = options.clientSecret ? oidc.ClientSecretBasic(options.clientSecret) : oidc.None();
  return oidc.discovery(new URL(options.issuer), options.clientId, options.clientSecret ? undefined : { token_endpoint_auth_method: 'none' }, clientAuth, {
    // plain http is for a local issuer only; openid-client refuses it unless told
    execute: options.issuer.startsWith('http:') ? [oidc.allowInsecureRequests] : [],
  });
}

function signedInHtml(user: SignedInUser): string {
  const list = (items: string[]) => (items.length ? items.map(escapeHtml).join(', ') : '<em>none</em>');
  return `<p>Signed in as <strong id="email">${escapeHtml(user.email ?? user.sub)}</strong></p>
<dl>
  <dt>Roles</dt><dd id="roles">${list(user.roles)}</dd>
  <dt>Permissions</dt><dd id="permissions">${list(user.permissions)}</dd>
</dl>
<p><a class="button" href="/api">Call the API</a></p>`;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** Every page of a signed-in user carries "Log out" at the top, so no page is a dead end. */
function page(title: string, body: string, signedIn = false): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5; }
pre { background: #f4f4f5; padding: 1rem; overflow: auto; }
dt { font-weight: 600; }
a.button { display: inline-block; padding: .4rem .9rem; background: #1d4ed8; color: #fff; border-radius: .3rem; text-decoration: none; }
nav { text-align: right; }
</style>
</head>
<body>
${signedIn ? '<nav><a href="/logout">Log out</a></nav>\n' : ''}<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>
`;
}

function send(res: ServerResponse, status: number, html: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  res.setHeader('X-Content-Type-Options', 'nosniff');
  // the callback URL carries the authorization code: never send it on as a Referer
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.end(html);
}

function redirect(res: ServerResponse, location: string): void {
  res.statusCode = 303;
  res.setHeader('Location', location);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.end();
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
