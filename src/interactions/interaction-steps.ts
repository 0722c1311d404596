import type { Context } from 'koa';
import { errors, type default as Provider, type InteractionResults } from 'oidc-provider';
import { isDatabaseUnavailable } from '../db/database-errors.js';
import { findUnstorableText } from '../input/storable-text.js';
import type { Logger } from '../logger.js';
import type { CsrfProtection } from './csrf.js';
import { renderErrorPage } from './error-page.js';
import type { PageContext } from './render-page.js';

// What every step of a login interaction (password, second factor, consent) does alike.

export type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

export async function details(ctx: Context, provider: Provider): Promise<Interaction> {
  const interaction = await provider.interactionDetails(ctx.req, ctx.res);
  if (interaction.uid !== ctx.params.uid) throw new errors.SessionNotFound('interaction mismatch');
  return interaction;
}

/** Saves the interaction's result and sends the browser back to the authorization endpoint (303, RFC 9700 §4.12). */
export async function finish(ctx: Context, provider: Provider, result: InteractionResults): Promise<void> {
  // a consent must keep the login of the same interaction (else prompt=login would ask again); a login starts afresh
  const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: !result.login });
  ctx.status = 303;
  ctx.redirect(returnTo);
}

export function requireCsrf(ctx: Context, csrf: CsrfProtection, uid: string, token: unknown): void {
  if (!csrf.verify(ctx, uid, token)) throw new errors.InvalidRequest('the form expired or did not come from this site; go back to the app and try again');
}

/** The parsed form; text Postgres cannot store (NUL, lone surrogates) is a bad request, shown as a 400 page. */
export function formBody(ctx: Context): Record<string, unknown> {
  const body = (ctx.request as { body?: unknown }).body;
  const where = findUnstorableText(body, 'a form field');
  if (where) throw new errors.InvalidRequest(`${where} contains a character that is not allowed`);
  return body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
}

export async function clientNameOf(provider: Provider, interaction: Interaction): Promise<string | undefined> {
  const client = await provider.Client.find(String(interaction.params.client_id));
  return client?.clientName ?? undefined;
}

export function renderInteractionError(ctx: Context, page: PageContext, error: unknown, log: Logger): void {
  const name = (error as { name?: string }).name;
  if (name === 'SessionNotFound') {
    renderErrorPage(ctx, page, { code: 'session_not_found', detail: 'interaction session not found', status: 400 });
    return;
  }
  const status = (error as { status?: number }).status;
  if ((error as { expose?: boolean }).expose && status && status < 500) {
    const e = error as { error?: string; error_description?: string; message: string };
    renderErrorPage(ctx, page, { code: e.error ?? 'invalid_request', detail: e.error_description ?? e.message, status });
    return;
  }
  if (status === 503 || (error as { code?: string }).code === 'SERVER_BUSY' || isDatabaseUnavailable(error)) {
    renderErrorPage(ctx, page, { code: 'temporarily_unavailable', status: 503 });
    ctx.set('Retry-After', '5');
    return;
  }
  log.error({ err: error, path: ctx.path }, 'interaction failed');
  renderErrorPage(ctx, page, { code: 'server_error', status: 500 });
}
