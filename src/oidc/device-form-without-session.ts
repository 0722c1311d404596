import type Provider from 'oidc-provider';

/**
 * The device flow's code form posted without a live browser session (its cookie expired, was blocked, or
 * the form was posted from elsewhere): oidc-provider refuses it (no xsrf state), then renders the code page
 * with a fresh xsrf token on a session it never saved, and fails saving it with a TypeError — a 500. Such a
 * request goes back to the form instead (303 to GET), which starts a session of its own.
 */
export function deviceFormWithoutSession(provider: Provider) {
  const path = provider.pathFor('code_verification');
  return async (ctx: { method: string; path: string; status: number; redirect: (url: string) => void }, next: () => Promise<void>) => {
    try {
      await next();
    } catch (error) {
      if (ctx.method !== 'POST' || ctx.path !== path || !isUnsavedSessionError(error)) throw error;
      ctx.redirect(path);
      ctx.status = 303;
    }
  };
}

function isUnsavedSessionError(error: unknown): boolean {
  return error instanceof TypeError && error.message.startsWith('persist can only be called on previously persisted Sessions');
}
