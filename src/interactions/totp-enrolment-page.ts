import type { Context } from 'koa';
import type { TotpEnrolment } from '../mfa/second-factors-service.js';
import { renderPage, type PageContext, type PageTranslator } from './render-page.js';

/** The authenticator set-up page (QR code, the key as text, a code to confirm): the login's enrolment step and the account page show the same. */
export function renderTotpEnrolment(
  ctx: Pick<Context, 'body' | 'type' | 'status' | 'set'>,
  page: PageContext,
  tr: PageTranslator,
  form: { action: string; csrf: string; enrolment: TotpEnrolment; error?: string | undefined },
  status = 200,
): void {
  const { action, csrf, enrolment, error } = form;
  renderPage(
    ctx,
    page,
    tr,
    'second-factor-enrol',
    tr.t('mfa.enrol_title'),
    { action, csrf, qrCode: enrolment.qrCode, secret: enrolment.secret, error },
    status,
  );
}
