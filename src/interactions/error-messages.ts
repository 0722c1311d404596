import { translator, type Locale, type MessageKey } from '../i18n/index.js';

/**
 * What a person reads when a sign-in, consent or sign-out cannot go on: a heading and a sentence per OAuth /
 * OpenID Connect error code, written for the user rather than the developer, from the page's catalogue
 * (src/i18n). The engine's own description ("client is invalid") is still shown, below and smaller, for
 * whoever has to fix it.
 */
export interface ErrorMessage {
  heading: string;
  sentence: string;
}

/** The codes with a heading and sentence of their own; `true`: the sentence ends with "go back and try again". */
const CODES: Record<string, boolean> = {
  invalid_request: true,
  invalid_client: false,
  unauthorized_client: false,
  invalid_redirect_uri: false,
  unsupported_response_type: true,
  access_denied: false,
  invalid_scope: true,
  invalid_target: true,
  invalid_request_uri: false,
  invalid_request_object: true,
  session_not_found: false,
  login_required: false,
  consent_required: false,
  interaction_required: false,
  invalid_grant: false,
  invalid_token: false,
  server_error: false,
  temporarily_unavailable: false,
  not_found: false,
};
const ALIASES: Record<string, string> = { redirect_uri_mismatch: 'invalid_redirect_uri' };

export function errorMessageFor(code: string | undefined, locale: Locale = 'en'): ErrorMessage {
  const { t } = translator(locale);
  const known = code && Object.hasOwn(ALIASES, code) ? ALIASES[code]! : code;
  if (!known || !Object.hasOwn(CODES, known)) return { heading: t('error.fallback.heading'), sentence: t('error.go_back') };
  const sentence = t(`error.${known}.sentence` as MessageKey);
  return { heading: t(`error.${known}.heading` as MessageKey), sentence: CODES[known] ? `${sentence} ${t('error.go_back')}` : sentence };
}
