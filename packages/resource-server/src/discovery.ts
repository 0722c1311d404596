import { VerifierUnavailableError } from './errors.js';

const DISCOVERY_TIMEOUT_MS = 5_000;
/** After a failed discovery, callers get the same failure for this long instead of each hitting the issuer again. */
const RETRY_DELAY_MS = 2_000;
const RETRY_AFTER_SECONDS = Math.ceil(RETRY_DELAY_MS / 1000);

/** A function answering the issuer's JWKS address; the first call fetches it, later calls reuse it. */
export type JwksUriSource = () => Promise<URL>;

/**
 * Finds the issuer's `jwks_uri` through OpenID Connect Discovery, lazily (so an API can start before its
 * issuer) and once: the answer is kept for the verifier's life. A failure is not kept: the next call after a
 * short pause tries again, and concurrent calls share one request.
 */
export function discoverJwksUri(issuer: string): JwksUriSource {
  let found: URL | undefined;
  let pending: Promise<URL> | undefined;
  let lastFailure: { at: number; error: VerifierUnavailableError } | undefined;

  return async () => {
    if (found) return found;
    if (lastFailure && Date.now() - lastFailure.at < RETRY_DELAY_MS) throw lastFailure.error;
    pending ??= fetchJwksUri(issuer)
      .then(
        (uri) => {
          found = uri;
          lastFailure = undefined;
          return uri;
        },
        (error: VerifierUnavailableError) => {
          lastFailure = { at: Date.now(), error };
          throw error;
        },
      )
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
}

/** The discovery document's address: OIDC Discovery §4 appends the well-known path to the issuer, minus its trailing slash. */
export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
}

async function fetchJwksUri(issuer: string): Promise<URL> {
  let response: Response;
  try {
    response = await fetch(discoveryUrl(issuer), {
      headers: { accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS),
    });
  } catch (cause) {
    throw unavailable('cannot reach the issuer for its discovery document', cause);
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw unavailable(`the issuer's discovery document answered HTTP ${response.status}`);
  }
  let document: unknown;
  try {
    document = await response.json();
  } catch (cause) {
    throw unavailable("the issuer's discovery document is not JSON", cause);
  }
  if (typeof document !== 'object' || document === null) throw unavailable("the issuer's discovery document is not a JSON object");
  const { issuer: announced, jwks_uri: jwksUri } = document as Record<string, unknown>;
  // OIDC Discovery §4.3: the document must name exactly the issuer we asked, or it may be someone else's.
  if (announced !== issuer) throw unavailable('the discovery document names another issuer than the one configured');
  const url = typeof jwksUri === 'string' ? URL.parse(jwksUri) : null;
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) throw unavailable('the discovery document has no usable jwks_uri');
  return url;
}

function unavailable(message: string, cause?: unknown): VerifierUnavailableError {
  return new VerifierUnavailableError(message, RETRY_AFTER_SECONDS, cause === undefined ? undefined : { cause });
}
