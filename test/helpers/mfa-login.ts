import assert from 'node:assert/strict';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import * as oidc from 'openid-client';
import { generate } from 'otplib';
import { CookieJar, csrfOf, request } from './browserless-login.js';
import { REDIRECT, tokenRequest, type TestClient } from './token-flows.js';

/** A code of the authenticator app `seconds` from now (0: the current step, 30: the next one). */
export const totpCode = (secret: string, seconds = 0) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + seconds });

export interface SignInSteps {
  email: string;
  password: string;
  /** The second step's answer: a TOTP or recovery code. */
  code?: () => Promise<string> | string;
  /** Setting up the app when the policy asks for it: given the secret on the page, the code to confirm with. */
  enrol?: (secret: string) => Promise<string> | string;
  params?: Record<string, string>;
  jar?: CookieJar;
}

export interface SignInResult {
  pages: string[];
  status: number;
  /** The last page when the flow stopped on one (a refused code, a pause). */
  html?: string;
  recoveryCodes?: string[];
  tokens?: Record<string, any>;
}

const form = (body: Record<string, string>): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(body).toString(),
});

/**
 * The code flow over plain HTTP through every page a sign-in may show: password, second factor, setting up
 * an authenticator, recovery codes, consent. Stops at the first answer that is neither a redirect nor a page
 * it knows how to fill (a refused code), and otherwise redeems the code.
 */
export async function signInThroughPages(issuer: string, client: TestClient, steps: SignInSteps): Promise<SignInResult> {
  const jar = steps.jar ?? new CookieJar();
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const url = new URL('/auth', issuer);
  url.search = new URLSearchParams({
    client_id: client.clientId,
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope: 'openid email roles offline_access',
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state: oidc.randomState(),
    nonce: oidc.randomNonce(),
    ...steps.params,
  }).toString();
  const pages: string[] = [];
  let recoveryCodes: string[] | undefined;
  let response = await request(jar, url.href);
  for (let step = 0; step < 20; step++) {
    const location = response.headers.get('location');
    if (location?.startsWith(REDIRECT)) {
      const code = new URL(location).searchParams.get('code');
      assert.ok(code, location);
      const tokens = await tokenRequest(issuer, client, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: codeVerifier });
      return { pages, status: tokens.status, tokens: tokens.body, recoveryCodes };
    }
    if (location) {
      response = await request(jar, new URL(location, issuer).href);
      continue;
    }
    const html = await response.text();
    if (response.status !== 200) return { pages, status: response.status, html, recoveryCodes };
    const path = new URL(response.url || url.href).pathname;
    if (html.includes('id="recovery-codes"')) {
      pages.push('recovery-codes');
      recoveryCodes = [...html.matchAll(/<li><code>([^<]+)<\/code><\/li>/g)].map((m) => m[1]!);
      const next = /id="continue" href="([^"]+)"/.exec(html)![1]!.replaceAll('&amp;', '&');
      response = await request(jar, new URL(next, issuer).href);
      continue;
    }
    const action = /<form method="post" action="([^"?]+)/.exec(html)?.[1];
    assert.ok(action, `no form on ${path}: ${html.slice(0, 300)}`);
    const csrf = csrfOf(html);
    if (action.endsWith('/login')) {
      pages.push('login');
      response = await request(jar, new URL(action, issuer).href, form({ csrf, email: steps.email, password: steps.password }));
    } else if (action.endsWith('/second-factor/enrol')) {
      pages.push('enrol');
      assert.ok(steps.enrol, 'the sign-in asked to set up an authenticator app');
      const secret = /id="totp-secret">([A-Z2-7]+)</.exec(html)![1]!;
      response = await request(jar, new URL(action, issuer).href, form({ csrf, code: await steps.enrol(secret) }));
    } else if (action.endsWith('/second-factor')) {
      pages.push('second-factor');
      assert.ok(steps.code, 'the sign-in asked for a second factor');
      response = await request(jar, new URL(action, issuer).href, form({ csrf, code: await steps.code() }));
    } else if (action.endsWith('/confirm')) {
      pages.push('consent');
      response = await request(jar, new URL(action, issuer).href, form({ csrf }));
    } else {
      throw new Error(`unexpected form ${action}`);
    }
  }
  throw new Error('the sign-in did not finish');
}

/** The ID token's claims, its signature checked against the published JWKS. */
export async function verifiedIdToken(issuer: string, clientId: string, idToken: string): Promise<JWTPayload & { amr?: string[]; acr?: string }> {
  const { payload } = await jwtVerify(idToken, createRemoteJWKSet(new URL(`${issuer}/jwks`)), { issuer, audience: clientId });
  return payload;
}
