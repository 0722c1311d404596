import assert from 'node:assert/strict';
import { decodeJwt, type JWTPayload } from 'jose';
import { authorizeWithoutBrowser, type CookieJar } from './browserless-login.js';
import { PASSWORD } from './auth-server.js';

export const REDIRECT = 'http://127.0.0.1:9/callback';
export const API_KEY_TYPE = 'urn:auth-connect:params:token-type:api-key';
export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

/** A registered client as a test uses it: its id and, for confidential clients, its secret. */
export interface TestClient {
  clientId: string;
  secret?: string;
}

export interface TokenAnswer {
  status: number;
  body: Record<string, any>;
  /** The access token's claims (decoded; the tests that need its signature verify it separately). */
  claims?: JWTPayload & { permissions?: string[]; roles?: string[] };
}

/** POST /token as a client would, authenticating with client_secret_basic when the client has a secret. */
export async function tokenRequest(issuer: string, client: TestClient, params: Record<string, string>, path = '/token'): Promise<TokenAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  const body = new URLSearchParams(params);
  if (client.secret)
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.secret)}`).toString('base64')}`;
  else body.set('client_id', client.clientId);
  const response = await fetch(`${issuer}${path}`, { method: 'POST', headers, body });
  const text = await response.text();
  const parsed = (text ? JSON.parse(text) : {}) as Record<string, any>;
  return {
    status: response.status,
    body: parsed,
    claims: typeof parsed.access_token === 'string' && parsed.access_token.split('.').length === 3 ? decodeJwt(parsed.access_token) : undefined,
  };
}

/** The whole code flow (our pages, consent when shown, the code exchange) for `email` asking `scope`. */
export async function codeFlow(
  issuer: string,
  client: TestClient,
  email: string,
  scope: string,
  options: { password?: string; jar?: CookieJar } = {},
): Promise<TokenAnswer & { pages: string[] }> {
  const flow = await authorizeWithoutBrowser(issuer, {
    clientId: client.clientId,
    redirectUri: REDIRECT,
    email,
    password: options.password ?? PASSWORD,
    scope,
    jar: options.jar,
  });
  const code = flow.callback.searchParams.get('code');
  assert.ok(code, `the flow ended without a code: ${flow.callback.href}`);
  const answer = await tokenRequest(issuer, client, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: flow.codeVerifier });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return { ...answer, pages: flow.pages };
}

export function refresh(issuer: string, client: TestClient, refreshToken: string, scope?: string): Promise<TokenAnswer> {
  return tokenRequest(issuer, client, { grant_type: 'refresh_token', refresh_token: refreshToken, ...(scope === undefined ? {} : { scope }) });
}

export function clientCredentials(issuer: string, client: TestClient, scope?: string): Promise<TokenAnswer> {
  return tokenRequest(issuer, client, { grant_type: 'client_credentials', ...(scope === undefined ? {} : { scope }) });
}

export function exchangeApiKey(issuer: string, key: string, scope?: string): Promise<TokenAnswer> {
  return tokenRequest(
    issuer,
    { clientId: 'auth-connect' },
    { grant_type: TOKEN_EXCHANGE, subject_token: key, subject_token_type: API_KEY_TYPE, ...(scope === undefined ? {} : { scope }) },
  );
}

/** The permission scopes of a `scope` string (identity scopes left out), sorted. */
export function permissionScopes(scope: unknown): string[] {
  const identity = new Set(['openid', 'email', 'roles', 'offline_access']);
  return typeof scope === 'string'
    ? scope
        .split(' ')
        .filter((s) => s && !identity.has(s))
        .sort()
    : [];
}
