import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import { UserExistsError } from '../accounts/accounts-service.js';
import { WeakPasswordError } from '../accounts/password-policy.js';
import { confirmEmail, peekConfirmation, resendVerification } from '../email-links/email-verification.js';
import { InvalidEmailTokenError, type MailingContext } from '../email-links/mailing-context.js';
import { peekResetLink, requestPasswordReset, resetPassword } from '../email-links/password-reset.js';
import { rateLimit } from '../http/rate-limit.js';
import type { RateLimiters } from '../http/rate-limiters.js';
import { findUnstorableText } from '../input/storable-text.js';
import type { Logger } from '../logger.js';
import { afterAnswer } from '../http/after-answer.js';
import type { CsrfProtection } from './csrf.js';
import { renderErrorPage } from './error-page.js';
import { pageTranslator, renderPage, type PageContext, type PageTranslator } from './render-page.js';

export interface EmailLinkPagesDeps {
  mailing: MailingContext;
  page: PageContext;
  /** Bound to the form's name (there is no interaction here). */
  csrf: CsrfProtection;
  log: Logger;
  rateLimiters: RateLimiters;
}

/**
 * The pages behind "Forgot password?" and the links we mail: ask for a reset link, set a new password,
 * confirm an address, ask for a new confirmation link. A link opened from a mail only shows a form; the
 * token is used by the form's POST, so a mail scanner that follows links does not spend it.
 */
export function emailLinkPages(deps: EmailLinkPagesDeps): Router {
  const { mailing, page, csrf } = deps;
  const router = new Router();
  const form = bodyParser({ enableTypes: ['form'], formLimit: '16kb', onError: () => {} });
  const origin = (ctx: Context) => ({ ip: ctx.ip, userAgent: ctx.get('user-agent') || null });
  const limited = rateLimit(deps.rateLimiters.perMinute('page_email_links', mailing.config.auth.rate_limit.password_reset_per_minute), () => ({
    status: 429,
    body: 'Too many requests. Try again in a minute.',
  }));
  const message = (ctx: Context, tr: PageTranslator, heading: string, text: string, status = 200, link?: { href: string; label: string }) =>
    renderPage(ctx, page, tr, 'email-message', heading, { heading, message: text, link }, status);
  const invalidReset = (ctx: Context, tr: PageTranslator) =>
    message(ctx, tr, tr.t('reset.invalid_title'), tr.t('reset.invalid'), 400, {
      href: `/forgot-password${tr.chosen ? `?lang=${tr.chosen}` : ''}`,
      label: tr.t('reset.ask_again'),
    });
  const emailForm = (ctx: Context, tr: PageTranslator, kind: 'forgot' | 'resend', email: string) =>
    renderPage(ctx, page, tr, 'email-form', tr.t(kind === 'forgot' ? 'forgot.title' : 'resend.title'), {
      titleKey: kind === 'forgot' ? 'forgot.title' : 'resend.title',
      leadKey: kind === 'forgot' ? 'forgot.lead' : 'resend.lead',
      submitKey: 'forgot.submit',
      action: kind === 'forgot' ? '/forgot-password' : '/verify-email/resend',
      csrf: csrf.issue(ctx, kind),
      email,
      error: undefined,
    });

  router.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      if (error instanceof FormRefused) return renderErrorPage(ctx, page, { code: 'invalid_request', detail: error.message, status: 400 });
      if ((error as { status?: number }).status === 503) return renderErrorPage(ctx, page, { code: 'temporarily_unavailable', status: 503 });
      deps.log.error({ err: error, path: ctx.path }, 'an emailed-link page failed');
      renderErrorPage(ctx, page, { code: 'server_error', status: 500 });
    }
  });

  router.get('/forgot-password', (ctx) => emailForm(ctx, pageTranslator(ctx, page), 'forgot', queryText(ctx, 'email')));
  router.post('/forgot-password', limited, form, (ctx) => {
    const body = checkedForm(ctx, csrf, 'forgot');
    const tr = pageTranslator(ctx, page);
    // answered before any work on the address: the page and its timing are the same for every address
    const from = origin(ctx); // read now: the work runs after the answer
    afterAnswer(deps.log, 'a password reset request', () => requestPasswordReset(mailing, body.email, tr.locale, from));
    message(ctx, tr, tr.t('forgot.sent_title'), tr.t('forgot.sent'));
  });

  router.get('/reset-password', async (ctx) => {
    const tr = pageTranslator(ctx, page);
    const token = queryText(ctx, 'token');
    const link = await peekResetLink(mailing, token);
    if (!link) return invalidReset(ctx, tr);
    renderPage(ctx, page, tr, 'reset-password', tr.t('reset.title'), { csrf: csrf.issue(ctx, 'reset'), token, email: link.email, error: undefined });
  });
  router.post('/reset-password', limited, form, async (ctx) => {
    const body = checkedForm(ctx, csrf, 'reset');
    const tr = pageTranslator(ctx, page);
    try {
      await resetPassword(mailing, { token: body.token, password: body.password }, origin(ctx), tr.locale);
    } catch (error) {
      if (error instanceof InvalidEmailTokenError) return invalidReset(ctx, tr);
      if (!(error instanceof WeakPasswordError)) throw error;
      const link = await peekResetLink(mailing, body.token);
      if (!link) return invalidReset(ctx, tr);
      const rules = error.violations.map((v) => v.message).join(', ');
      const data = { csrf: csrf.issue(ctx, 'reset'), token: body.token, email: link.email, error: tr.t('reset.weak', { rules }) };
      return renderPage(ctx, page, tr, 'reset-password', tr.t('reset.title'), data, 422);
    }
    message(ctx, tr, tr.t('reset.done_title'), tr.t('reset.done'));
  });

  router.get('/verify-email', async (ctx) => {
    const tr = pageTranslator(ctx, page);
    const token = queryText(ctx, 'token');
    const link = await peekConfirmation(mailing, token);
    if (!link) return message(ctx, tr, tr.t('reset.invalid_title'), tr.t('verify.invalid'), 400);
    renderPage(ctx, page, tr, 'verify-email', tr.t('verify.title'), { csrf: csrf.issue(ctx, 'verify'), token, email: link.email });
  });
  router.post('/verify-email', limited, form, async (ctx) => {
    const body = checkedForm(ctx, csrf, 'verify');
    const tr = pageTranslator(ctx, page);
    try {
      const confirmed = await confirmEmail(mailing, body.token, origin(ctx), tr.locale);
      message(ctx, tr, tr.t('verify.done_title'), tr.t('verify.done', { email: confirmed.email }));
    } catch (error) {
      if (error instanceof InvalidEmailTokenError) return message(ctx, tr, tr.t('reset.invalid_title'), tr.t('verify.invalid'), 400);
      if (error instanceof UserExistsError)
        return message(ctx, tr, tr.t('reset.invalid_title'), tr.t('verify.taken', { email: (await peekConfirmation(mailing, body.token))?.email ?? '' }), 409);
      throw error;
    }
  });

  router.get('/verify-email/resend', (ctx) => emailForm(ctx, pageTranslator(ctx, page), 'resend', queryText(ctx, 'email')));
  router.post('/verify-email/resend', limited, form, (ctx) => {
    const body = checkedForm(ctx, csrf, 'resend');
    const tr = pageTranslator(ctx, page);
    afterAnswer(deps.log, 'a verification resend', () => resendVerification(mailing, body.email, tr.locale));
    message(ctx, tr, tr.t('resend.title'), tr.t('resend.sent'));
  });

  return router;
}

class FormRefused extends Error {}

/** The form's text fields, after its CSRF token was checked against this form's name. */
function checkedForm(ctx: Context, csrf: CsrfProtection, name: string): Record<string, string> {
  const body = (ctx.request as { body?: unknown }).body;
  const where = findUnstorableText(body, 'a form field');
  if (where) throw new FormRefused(`${where} contains a character that is not allowed`);
  const fields = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  if (!csrf.verify(ctx, name, fields.csrf)) throw new FormRefused('the form expired or did not come from this site; open the page again');
  const text = (value: unknown) => (typeof value === 'string' ? value.slice(0, 1024) : '');
  return { email: text(fields.email), token: text(fields.token), password: typeof fields.password === 'string' ? fields.password : '' };
}

function queryText(ctx: Context, name: string): string {
  const value = ctx.query[name];
  return typeof value === 'string' && value.length <= 254 ? value : '';
}
