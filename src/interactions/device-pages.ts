import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Translator } from '../i18n/index.js';
import { pageTranslator, renderPage, type PageContext } from './render-page.js';

interface DeviceFlowError {
  name?: string;
  userCode?: string;
}

/** Why the code page is shown again: one sentence per outcome the engine reports. */
function codeErrorMessage({ t }: Translator, error: DeviceFlowError | undefined, out: { error_description?: string } | undefined): string | undefined {
  if (!error) return undefined;
  switch (error.name) {
    case 'NoCodeError':
    case 'NotFoundError':
      return t('device_code.not_found');
    case 'ExpiredError':
      return t('device_code.expired');
    case 'AlreadyUsedError':
      return t('device_code.already_used');
    case 'AbortedError':
      return t('device_code.aborted');
    default:
      return out?.error_description ? t('device_code.failed_with_reason', { reason: out.error_description }) : t('device_code.failed');
  }
}

/**
 * The device flow's pages (RFC 8628 §3.3) in our layout. oidc-provider hands over ready-made form HTML with
 * an inline event handler, which our CSP would block; the forms are ours instead, carrying the engine's
 * xsrf token (a random value kept in the server-side session and compared in constant time on POST).
 */
export function devicePages(page: PageContext) {
  const xsrfOf = (ctx: KoaContextWithOIDC) => String((ctx.oidc.session?.state as { secret?: string } | undefined)?.secret ?? '');
  const action = (ctx: KoaContextWithOIDC) => ctx.oidc.urlFor('code_verification');

  return {
    userCodeInputSource(ctx: KoaContextWithOIDC, _form: string, out?: { error_description?: string }, error?: DeviceFlowError) {
      const tr = pageTranslator(ctx, page);
      const message = codeErrorMessage(tr, error, out);
      const status = error && ctx.status >= 400 ? ctx.status : 200;
      renderPage(
        ctx,
        page,
        tr,
        'device-code',
        tr.t(message ? 'device_code.title_error' : 'device_code.title'),
        {
          action: action(ctx),
          xsrf: xsrfOf(ctx),
          userCode: error?.userCode ?? '',
          error: message,
          clientName: undefined,
        },
        status,
      );
    },
    userCodeConfirmSource(
      ctx: KoaContextWithOIDC,
      _form: string,
      client: { clientName?: string; clientId: string },
      deviceInfo: { ip?: string } | undefined,
      userCode: string,
    ) {
      const tr = pageTranslator(ctx, page, deviceUiLocales(ctx));
      renderPage(ctx, page, tr, 'device-confirm', tr.t('device_confirm.title'), {
        action: action(ctx),
        xsrf: xsrfOf(ctx),
        userCode,
        clientName: client.clientName ?? client.clientId,
        address: deviceInfo?.ip,
      });
    },
    successSource(ctx: KoaContextWithOIDC) {
      const tr = pageTranslator(ctx, page, deviceUiLocales(ctx));
      renderPage(ctx, page, tr, 'device-done', tr.t('device_done.title'), { clientName: ctx.oidc.client?.clientName });
    },
  };
}

/** The `ui_locales` the device sent with its device authorization request, once the code is known. */
function deviceUiLocales(ctx: KoaContextWithOIDC): unknown {
  return (ctx.oidc.entities.DeviceCode as { params?: { ui_locales?: unknown } } | undefined)?.params?.ui_locales;
}
