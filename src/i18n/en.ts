/**
 * The English catalogue: every text our pages show, by key. `{name}` is filled in by the page; the other
 * catalogues have exactly these keys and placeholders (test/i18n.test.ts).
 */
export const en = {
  'layout.footer': 'Secured by auth-connect',
  'layout.language': 'Language',

  'landing.title': 'Sign-in service',
  'landing.lead':
    "This is where {organization}'s applications send you to sign in. There is nothing to do on this page: open the application you want to use, and it brings you here when it needs to.",
  'landing.for_developers': 'For developers and operators:',
  'landing.discovery': 'OpenID Connect discovery',
  'landing.discovery_note': '(endpoints, scopes, algorithms)',
  'landing.jwks': 'Public signing keys',
  'landing.jwks_note': '(JWKS, to verify tokens)',
  'landing.documentation': 'Documentation: {readme} in the auth-connect installation',

  'login.title': 'Sign in',
  'login.lead': 'to continue to {client}',
  'login.email': 'Email',
  'login.password': 'Password',
  'login.submit': 'Sign in',
  'login.cancel': 'Cancel and return to the app',
  'login.failed': 'The email or password is not correct. After repeated failures, sign-in pauses for a while.',
  'login.paused_seconds': 'Sign-in is paused after repeated failures. Try again in {seconds} seconds.',
  'login.paused_minutes': 'Sign-in is paused after repeated failures. Try again in {minutes} minutes.',

  'consent.title': 'Allow access',
  'consent.heading': 'Allow access?',
  'consent.lead': '{client} would like to:',
  'consent.signed_in_as':
    'Signed in as {email}. The app keeps this access until it expires or you end its session in your account; signing out here does not end it.',
  'consent.allow': 'Allow',
  'consent.deny': 'Deny',
  'consent.scope.openid': 'Know who you are',
  'consent.scope.email': 'See your email address',
  'consent.scope.roles': 'See your role and permissions',
  'consent.scope.offline_access': 'Stay connected while you are away (keep access after you close the app)',
  'consent.scope.other': 'Use "{scope}"',
  'consent.permission': 'Act for you with the permission "{permission}"',
  'consent.permission_described': '{description} (permission "{permission}")',

  'logout.title': 'Sign out',
  'logout.lead': 'Do you want to sign out of {organization}?',
  'logout.lead_with_client': 'Do you want to sign out of {organization} and {client}?',
  'logout.yes': 'Yes, sign me out',
  'logout.no': 'No, stay signed in',

  'logged_out.title': 'Signed out',
  'logged_out.heading': 'You are signed out',
  'logged_out.lead': 'You have been signed out of {organization}. You can close this window.',
  'logged_out.lead_with_client': 'You have been signed out of {organization} and {client}. You can close this window.',

  'device_code.title': 'Connect a device',
  'device_code.title_error': 'Connect a device: error',
  'device_code.lead': 'Enter the code shown on your device.',
  'device_code.lead_with_client': 'Enter the code shown on your device for {client}.',
  'device_code.label': 'Code',
  'device_code.submit': 'Continue',
  'device_code.not_found': 'That code is not valid. Check the code on your device and try again.',
  'device_code.expired': 'That code has expired. Start again on your device to get a new one.',
  'device_code.already_used': 'That code was already used. Start again on your device to get a new one.',
  'device_code.aborted': 'You cancelled. The device was not connected.',
  'device_code.failed': 'The device could not be connected. Start again on your device.',
  'device_code.failed_with_reason': 'The device could not be connected: {reason}.',
  'device_code.too_many_heading': 'Too many codes entered',
  'device_code.too_many': 'Too many codes were entered from your network. Wait {seconds} seconds, then open this page again.',

  'device_confirm.title': 'Connect this device?',
  'device_confirm.lead': '{client} wants to sign in as you on a device.',
  'device_confirm.check': 'Check that the device shows this code:',
  'device_confirm.address': 'The device asked from address {address}.',
  'device_confirm.warning': 'If you did not start this on a device of yours, or the code differs, cancel: someone may be trying to get access to your account.',
  'device_confirm.continue': 'Continue',
  'device_confirm.cancel': 'Cancel',

  'device_done.title': 'Device connected',
  'device_done.lead': 'You are signed in on your device. You can close this window.',
  'device_done.lead_with_client': 'You are signed in to {client} on your device. You can close this window.',

  'error.title': 'Error: {heading}',
  'error.technical_detail': 'Technical detail:',
  'error.go_back': 'Go back to the application and try again; if it keeps happening, tell the people who run it.',
  'error.fallback.heading': 'This request could not be completed',
  'error.request_not_valid.heading': 'This request is not valid',
  'error.invalid_request.heading': 'This sign-in request cannot be used',
  'error.invalid_request.sentence': 'The application sent a request that is incomplete or not valid.',
  'error.invalid_client.heading': 'This application is not known',
  'error.invalid_client.sentence':
    'The application that sent you here is not registered here, or could not prove which application it is. Nothing was shared with it.',
  'error.unauthorized_client.heading': 'This application may not do that',
  'error.unauthorized_client.sentence': 'The application asked to sign you in in a way it is not allowed to use. Nothing was shared with it.',
  'error.invalid_redirect_uri.heading': 'This application is misconfigured',
  'error.invalid_redirect_uri.sentence': 'The application asked to send you back to an address it has not registered, so you were not sent anywhere.',
  'error.unsupported_response_type.heading': 'This application is misconfigured',
  'error.unsupported_response_type.sentence': 'The application asked for a kind of sign-in this server does not offer.',
  'error.access_denied.heading': 'Access was not granted',
  'error.access_denied.sentence': 'The sign-in was cancelled or refused, so nothing was shared with the application.',
  'error.invalid_scope.heading': 'The application asked for access that cannot be given',
  'error.invalid_scope.sentence': 'The application asked for permissions that do not exist or that it may not have.',
  'error.invalid_target.heading': 'The application asked for an unknown service',
  'error.invalid_target.sentence': 'The application asked for access to a service this server does not issue tokens for.',
  'error.invalid_request_uri.heading': 'This sign-in request has expired',
  'error.invalid_request_uri.sentence':
    'The application prepared this sign-in too long ago, or it was already used. Go back to the application and start again.',
  'error.invalid_request_object.heading': 'This sign-in request cannot be used',
  'error.invalid_request_object.sentence': "The application's signed request could not be verified.",
  'error.session_not_found.heading': 'This sign-in has expired',
  'error.session_not_found.sentence':
    'The page was open too long, was already used, or was opened in another browser. Go back to the application and start again.',
  'error.login_required.heading': 'You need to sign in',
  'error.login_required.sentence':
    'The application asked to continue without showing a sign-in page, but you are not signed in. Go back to the application and sign in.',
  'error.consent_required.heading': 'Your permission is needed',
  'error.consent_required.sentence':
    'The application asked to continue without asking you, but it needs your permission first. Go back to the application and try again.',
  'error.interaction_required.heading': 'Your input is needed',
  'error.interaction_required.sentence':
    'The application asked to continue without showing a page, but this step needs you. Go back to the application and try again.',
  'error.invalid_grant.heading': 'This sign-in can no longer be used',
  'error.invalid_grant.sentence': 'It was already used, has expired, or was ended. Go back to the application and sign in again.',
  'error.invalid_token.heading': 'Your sign-in is no longer valid',
  'error.invalid_token.sentence': 'It has expired or was ended. Go back to the application and sign in again.',
  'error.server_error.heading': 'Something went wrong on our side',
  'error.server_error.sentence': 'Sorry, the server could not finish this request. Try again in a moment.',
  'error.temporarily_unavailable.heading': 'Please try again in a moment',
  'error.temporarily_unavailable.sentence': 'The service is busy or briefly unavailable. Nothing is wrong with your account.',
  'error.not_found.heading': 'Page not found',
  'error.not_found.sentence': 'There is no page at this address. Check the link, or start from the application you came from.',
} as const;

export type MessageKey = keyof typeof en;
export type Catalogue = Record<MessageKey, string>;
