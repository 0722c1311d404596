import type { KoaContextWithOIDC } from 'oidc-provider';
import { renderPage, type PageContext } from './render-page.js';

interface DeviceFlowError {
  name?: string;
  userCode?: string;
}

/** Why the code page is shown again: one sentence per outcome the engine reports. */
function codeErrorMessage(error: DeviceFlowError | undefined, out: { error_description?: string } | undefined): string | undefined {
  if (!error) return undefined;
  switch (error.name) {
    case 'NoCodeError':
    case 'NotFoundError':
      return 'That code is not valid. Check the code on your device and try again.';
    case 'ExpiredError':
      return 'That code has expired. Start again on your device to get a new one.';
    case 'AlreadyUsedError':
      return 'That code was already used. Start again on your device to get a new one.';
    case 'AbortedError':
      return 'You cancelled. The device was not connected.';
    default:
      return out?.error_description ? `The device could not be connected: ${out.error_description}.` : 'The device could not be connected. Start again on your device.';
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
      const message = codeErrorMessage(error, out);
      const status = error && ctx.status >= 400 ? ctx.status : 200;
      renderPage(ctx, page, 'device-code', message ? 'Connect a device: error' : 'Connect a device', {
        action: action(ctx), xsrf: xsrfOf(ctx), userCode: error?.userCode ?? '', error: message, clientName: undefined,
      }, status);
    },
    userCodeConfirmSource(ctx: KoaContextWithOIDC, _form: string, client: { clientName?: string; clientId: string }, deviceInfo: { ip?: string } | undefined, userCode: string) {
      renderPage(ctx, page, 'device-confirm', 'Connect this device?', {
        action: action(ctx), xsrf: xsrfOf(ctx), userCode, clientName: client.clientName ?? client.clientId, address: deviceInfo?.ip,
      });
    },
    successSource(ctx: KoaContextWithOIDC) {
      renderPage(ctx, page, 'device-done', 'Device connected', { clientName: ctx.oidc.client?.clientName });
    },
  };
}
