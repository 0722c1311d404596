import assert from 'node:assert/strict';
import { CookieJar, csrfOf, request } from './browserless-login.js';

export interface DeviceApproval {
  userCode: string;
  email: string;
  password: string;
  /** Cancel on the confirmation page instead of continuing. */
  cancel?: boolean;
  jar?: CookieJar;
}

export interface DeviceApprovalResult {
  /** The pages shown on the way, in order: 'code', 'confirm', 'login', 'consent', 'done' or 'cancelled'. */
  pages: string[];
  /** The last page's HTML. */
  html: string;
}

export function xsrfOf(html: string): string {
  const match = /name="xsrf" value="([^"]*)"/.exec(html);
  assert.ok(match, 'the page has an xsrf field');
  return match[1]!;
}

const form = (body: Record<string, string>): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(body).toString(),
});

/**
 * What a person does in a browser for a device (RFC 8628 §3.3), over plain HTTP: opens the verification
 * page, enters the code, confirms it, signs in on our login page, allows access if asked, up to the done page.
 */
export async function approveDevice(issuer: string, approval: DeviceApproval): Promise<DeviceApprovalResult> {
  const jar = approval.jar ?? new CookieJar();
  const pages: string[] = [];
  let response = await request(jar, `${issuer}/device`);
  assert.equal(response.status, 200);
  let html = await response.text();
  pages.push('code');

  response = await request(jar, `${issuer}/device`, form({ xsrf: xsrfOf(html), user_code: approval.userCode }));
  html = await response.text();
  assert.equal(response.status, 200, html.slice(0, 500));
  assert.match(html, /Connect this device\?/);
  pages.push('confirm');

  const decision: Record<string, string> = approval.cancel ? { abort: 'yes' } : { confirm: 'yes' };
  response = await request(jar, `${issuer}/device`, form({ xsrf: xsrfOf(html), user_code: approval.userCode, ...decision }));
  for (let step = 0; step < 12; step++) {
    const location = response.headers.get('location');
    if (!location) {
      html = await response.text();
      assert.equal(response.status, 200, html.slice(0, 500));
      pages.push(/Device connected/.test(html) ? 'done' : /You cancelled/.test(html) ? 'cancelled' : 'other');
      return { pages, html };
    }
    const next = new URL(location, issuer);
    response = await request(jar, next.href);
    if (response.status === 200 && next.pathname.startsWith('/interaction/')) {
      html = await response.text();
      const csrf = csrfOf(html);
      const login = html.includes('/login"');
      pages.push(login ? 'login' : 'consent');
      const action = login ? `${next.pathname}/login` : `${next.pathname}/confirm`;
      response = await request(jar, new URL(action, issuer).href, form(login ? { csrf, email: approval.email, password: approval.password } : { csrf }));
      assert.equal(response.status, 303, `${action} answered ${response.status}`);
    }
  }
  throw new Error('the device approval did not finish');
}
