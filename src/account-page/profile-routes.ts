import type Router from '@koa/router';
import type { Context } from 'koa';
import { changePassword } from '../accounts/accounts-service.js';
import { requestEmailChange } from '../email-links/email-change.js';
import { resendVerification } from '../email-links/email-verification.js';
import { isAuthConnectError } from '../errors.js';
import type { MessageKey } from '../i18n/index.js';
import { pageTranslator, renderPage } from '../interactions/render-page.js';
import { noticePasswordChanged } from '../mail/security-notices.js';
import type { AccountForms, RequireSignIn } from './account-forms.js';
import type { AccountPageDeps } from './account-page-deps.js';
import type { AccountPageState } from './account-sign-in.js';

/** What a refused change says on the form, in the page's language (other refusals say the service's sentence). */
const REFUSALS: Record<string, MessageKey> = {
  INVALID_CREDENTIALS: 'account.password_wrong',
  WEAK_PASSWORD: 'account.password_weak',
  INVALID_EMAIL: 'account.email_invalid',
  USER_EXISTS: 'account.email_taken',
};

/**
 * The profile's changes: a new confirmation link, another address (confirmed at the new address before it
 * counts, as through the API), and the password (the current one checked through the login throttle; the
 * other sessions end, this one stays). The services are the account API's own.
 */
export function profileRoutes(router: Router<AccountPageState>, deps: AccountPageDeps, forms: AccountForms, requireSignIn: RequireSignIn): void {
  const { csrf, page, accounts, mailing, throttle } = deps;
  const { state, form, checkedForm, body, origin, done } = forms;

  /** The form again, with what went wrong (400) or with the throttle's pause (429). */
  const refused = (ctx: Context, view: 'account-email' | 'account-password', title: MessageKey, message: string, status: number) => {
    const tr = pageTranslator(ctx, page);
    renderPage(
      ctx,
      page,
      tr,
      view,
      tr.t(title),
      { current: 'profile', csrf: csrf.issue(ctx, state(ctx).sessionId), email: state(ctx).user.email, error: message },
      status,
    );
  };
  const refusal = (ctx: Context, error: unknown): string | undefined => {
    if (!isAuthConnectError(error) || error.status >= 500) return undefined;
    const tr = pageTranslator(ctx, page);
    // the policy's own sentence names the rules the new password misses
    if (error.code === 'WEAK_PASSWORD') return `${tr.t('account.password_weak')} ${error.message}`;
    return Object.hasOwn(REFUSALS, error.code) ? tr.t(REFUSALS[error.code]!) : error.message;
  };

  router.post('/email/resend', requireSignIn, form, checkedForm, async (ctx) => {
    const { user } = state(ctx);
    // the same rules as the login page's "send a new link": only while unconfirmed, within the per-address budget
    await resendVerification(mailing, user.email, pageTranslator(ctx, page).locale);
    done(ctx, '/account', 'verification_sent');
  });

  router.get('/email', requireSignIn, (ctx) => {
    const tr = pageTranslator(ctx, page);
    renderPage(ctx, page, tr, 'account-email', tr.t('account.email_change'), {
      current: 'profile',
      csrf: csrf.issue(ctx, state(ctx).sessionId),
      email: state(ctx).user.email,
    });
  });

  router.post('/email', requireSignIn, form, checkedForm, async (ctx) => {
    const { user } = state(ctx);
    const tr = pageTranslator(ctx, page);
    const { ip, userAgent } = origin(ctx);
    try {
      const input = { newEmail: body(ctx).new_email, password: body(ctx).password };
      const asked = await requestEmailChange(mailing, throttle, user, input, { address: ctx.ip }, { ip, userAgent }, tr.locale);
      if (asked.outcome === 'paused')
        return refused(ctx, 'account-email', 'account.email_change', tr.t('account.paused', { seconds: asked.retryAfterSeconds }), 429);
      if (asked.outcome !== 'sent') return refused(ctx, 'account-email', 'account.email_change', tr.t('account.password_wrong'), 400);
      done(ctx, '/account', 'email_sent');
    } catch (error) {
      const message = refusal(ctx, error);
      if (!message) throw error;
      refused(ctx, 'account-email', 'account.email_change', message, 400);
    }
  });

  router.get('/password', requireSignIn, (ctx) => {
    const tr = pageTranslator(ctx, page);
    renderPage(ctx, page, tr, 'account-password', tr.t('account.password_change'), {
      current: 'profile',
      csrf: csrf.issue(ctx, state(ctx).sessionId),
      email: state(ctx).user.email,
    });
  });

  router.post('/password', requireSignIn, form, checkedForm, async (ctx) => {
    const { user, sessionId } = state(ctx);
    const tr = pageTranslator(ctx, page);
    const { ip, userAgent } = origin(ctx);
    const fields = body(ctx);
    if (fields.new_password !== fields.new_password_again)
      return refused(ctx, 'account-password', 'account.password_change', tr.t('account.password_mismatch'), 400);
    try {
      const passwords = { current: fields.current_password, next: fields.new_password };
      const changed = await changePassword(accounts, throttle, user, passwords, { address: ctx.ip, sessionId }, { ip, userAgent }, (trx, updated) =>
        noticePasswordChanged(mailing.outbox, trx, updated, updated.password_changed_at ?? new Date(), tr.locale),
      );
      if (changed.outcome === 'paused')
        return refused(ctx, 'account-password', 'account.password_change', tr.t('account.paused', { seconds: changed.retryAfterSeconds }), 429);
      if (changed.outcome !== 'changed') return refused(ctx, 'account-password', 'account.password_change', tr.t('account.password_wrong'), 400);
      done(ctx, '/account', 'password');
    } catch (error) {
      const message = refusal(ctx, error);
      if (!message) throw error;
      refused(ctx, 'account-password', 'account.password_change', message, 400);
    }
  });
}
