/**
 * What a person reads when a sign-in, consent or sign-out cannot go on: a heading and a sentence per OAuth /
 * OpenID Connect error code, written for the user rather than the developer. The engine's own description
 * ("client is invalid") is still shown, below and smaller, for whoever has to fix it.
 */
export interface ErrorMessage {
  heading: string;
  sentence: string;
}

const GO_BACK = 'Go back to the application and try again; if it keeps happening, tell the people who run it.';

const MESSAGES: Record<string, ErrorMessage> = {
  invalid_request: { heading: 'This sign-in request cannot be used', sentence: `The application sent a request that is incomplete or not valid. ${GO_BACK}` },
  invalid_client: { heading: 'This application is not known', sentence: 'The application that sent you here is not registered here, or could not prove which application it is. Nothing was shared with it.' },
  unauthorized_client: { heading: 'This application may not do that', sentence: 'The application asked to sign you in in a way it is not allowed to use. Nothing was shared with it.' },
  invalid_redirect_uri: { heading: 'This application is misconfigured', sentence: 'The application asked to send you back to an address it has not registered, so you were not sent anywhere.' },
  redirect_uri_mismatch: { heading: 'This application is misconfigured', sentence: 'The application asked to send you back to an address it has not registered, so you were not sent anywhere.' },
  unsupported_response_type: { heading: 'This application is misconfigured', sentence: `The application asked for a kind of sign-in this server does not offer. ${GO_BACK}` },
  access_denied: { heading: 'Access was not granted', sentence: 'The sign-in was cancelled or refused, so nothing was shared with the application.' },
  invalid_scope: { heading: 'The application asked for access that cannot be given', sentence: `The application asked for permissions that do not exist or that it may not have. ${GO_BACK}` },
  invalid_target: { heading: 'The application asked for an unknown service', sentence: `The application asked for access to a service this server does not issue tokens for. ${GO_BACK}` },
  invalid_request_uri: { heading: 'This sign-in request has expired', sentence: 'The application prepared this sign-in too long ago, or it was already used. Go back to the application and start again.' },
  invalid_request_object: { heading: 'This sign-in request cannot be used', sentence: `The application's signed request could not be verified. ${GO_BACK}` },
  session_not_found: { heading: 'This sign-in has expired', sentence: 'The page was open too long, was already used, or was opened in another browser. Go back to the application and start again.' },
  login_required: { heading: 'You need to sign in', sentence: 'The application asked to continue without showing a sign-in page, but you are not signed in. Go back to the application and sign in.' },
  consent_required: { heading: 'Your permission is needed', sentence: 'The application asked to continue without asking you, but it needs your permission first. Go back to the application and try again.' },
  interaction_required: { heading: 'Your input is needed', sentence: 'The application asked to continue without showing a page, but this step needs you. Go back to the application and try again.' },
  invalid_grant: { heading: 'This sign-in can no longer be used', sentence: 'It was already used, has expired, or was ended. Go back to the application and sign in again.' },
  invalid_token: { heading: 'Your sign-in is no longer valid', sentence: 'It has expired or was ended. Go back to the application and sign in again.' },
  server_error: { heading: 'Something went wrong on our side', sentence: 'Sorry, the server could not finish this request. Try again in a moment.' },
  temporarily_unavailable: { heading: 'Please try again in a moment', sentence: 'The service is busy or briefly unavailable. Nothing is wrong with your account.' },
  not_found: { heading: 'Page not found', sentence: 'There is no page at this address. Check the link, or start from the application you came from.' },
};

const FALLBACK: ErrorMessage = { heading: 'This request could not be completed', sentence: GO_BACK };

export function errorMessageFor(code: string | undefined): ErrorMessage {
  return (code && Object.hasOwn(MESSAGES, code) ? MESSAGES[code] : undefined) ?? FALLBACK;
}
