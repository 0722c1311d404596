import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import { errors, type default as Provider } from 'oidc-provider';
import { rateLimit } from '../http/rate-limit.js';
import type { RateLimiters } from '../http/rate-limiters.js';
import type { Logger } from '../logger.js';
import { acrOf, amrWithSecondFactor } from '../mfa/mfa-policy.js';
import { completeSignIn } from '../mfa/mfa-sign-in.js';
import { passkeyAuthenticationOptions, signInWithPasskey, type RelyingParty } from '../mfa/passkeys-service.js';
import type { MfaContext } from '../mfa/second-factors-service.js';
import type { CsrfProtection } from './csrf.js';
import { details, renderInteractionError } from './interaction-steps.js';
import { pendingSecondFactor } from './second-factor-routes.js';

export interface PasskeyRouteDeps {
  provider: () => Provider;
  mfa: MfaContext;
  rp: RelyingParty;
  csrf: CsrfProtection;
  log: Logger;
  page: Parameters<typeof renderInteractionError>[1];
  rateLimiters: RateLimiters;
  loginPerMinute: number;
}

/**
 * Passkey sign-in on the login pages, called by views/assets/passkey-login.js with JSON: options (a stored,
 * single-use challenge bound to this interaction), then the assertion. Before a password it is the first and
 * only factor (a passkey with user verification is two: possession and the PIN or biometric behind it);
 * after a password it is the second factor, and must be one of that user's passkeys.
 */
export function passkeyRoutes(deps: PasskeyRouteDeps): Router {
  const router = new Router({ prefix: '/interaction/:uid/passkey' });
  const json = bodyParser({ enableTypes: ['json'], jsonLimit: '64kb', onError: () => {} });
  const tooMany = () => ({ status: 429, body: { error: 'too_many_requests' } });
  const requestRate = rateLimit(deps.rateLimiters.perMinute('page_login', deps.loginPerMinute), tooMany);
  // every login page asks for options as it loads (the autofill): a budget of their own, not the password's
  const optionsRate = rateLimit(deps.rateLimiters.perMinute('page_passkey_options', deps.loginPerMinute * 4), tooMany);

  router.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      renderInteractionError(ctx, deps.page, error, deps.log);
    }
  });

  const checked = async (ctx: Context) => {
    const interaction = await details(ctx, deps.provider());
    if (!deps.csrf.verify(ctx, interaction.uid, ctx.get('x-csrf-token'))) throw new errors.InvalidRequest('the page expired; reload it');
    if (interaction.prompt.name !== 'login') throw new errors.InvalidRequest('this sign-in step is already complete');
    return interaction;
  };

  router.post('/options', optionsRate, async (ctx) => {
    const interaction = await checked(ctx);
    const waiting = await pendingSecondFactor(ctx, deps.mfa, interaction);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await passkeyAuthenticationOptions(deps.mfa, deps.rp, interaction.uid, waiting?.userId);
  });

  router.post('/', requestRate, json, async (ctx) => {
    const provider = deps.provider();
    const interaction = await checked(ctx);
    const response = (ctx.request as { body?: { response?: unknown } }).body?.response;
    if (!response || typeof response !== 'object') throw new errors.InvalidRequest('response is missing');
    const waiting = await pendingSecondFactor(ctx, deps.mfa, interaction);
    const origin = { clientId: String(interaction.params.client_id ?? '') || null, ip: ctx.ip, userAgent: ctx.get('user-agent') || null };
    const signedIn = await signInWithPasskey(deps.mfa, deps.rp, interaction.uid, response as never, origin, waiting?.userId);
    ctx.set('Cache-Control', 'no-store');
    if (!signedIn || (waiting && !(await completeSignIn(deps.mfa, waiting)))) {
      ctx.status = 401;
      ctx.body = { error: 'passkey_refused' };
      return;
    }
    const amr = waiting ? amrWithSecondFactor(waiting.amr, 'passkey', signedIn) : signedIn.amr;
    const login = { accountId: signedIn.user.id, amr, acr: acrOf(amr) };
    ctx.body = { redirect: await provider.interactionResult(ctx.req, ctx.res, { login }, { mergeWithLastSubmission: false }) };
  });

  return router;
}
