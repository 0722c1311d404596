/**
 * The error catalogue: every `error` code the JSON API answers with, its HTTP status and what it means.
 * AuthConnectError takes its status from here, the OpenAPI document lists per route the codes that route
 * can answer, and the README's table is generated from it (`npm run docs:errors`).
 */
export const API_ERRORS = {
  INVALID_REQUEST: { status: 400, meaning: 'malformed JSON, another content type, a body over 16 KiB, wrong types, unknown fields or a bad query parameter' },
  INVALID_EMAIL: { status: 400, meaning: 'the email address is malformed, too long, or contains spaces, control or invisible characters' },
  UNKNOWN_ROLE: { status: 400, meaning: 'the role is not defined in roles.json' },
  INVALID_CLIENT: { status: 400, meaning: 'the client registration is not acceptable (name, grant, redirect URIs, permissions)' },
  INVALID_EMAIL_TOKEN: {
    status: 400,
    meaning: 'the emailed link (reset or confirmation token) is unknown, altered, expired or already used; ask for a new one',
  },
  INVALID_TOKEN: { status: 401, meaning: 'no access token, or one that is malformed, not ours, revoked, or whose user or client is gone or disabled' },
  TOKEN_EXPIRED: { status: 401, meaning: 'the access token has expired; refresh it' },
  INVALID_CREDENTIALS: { status: 401, meaning: 'wrong email or password (the same answer for unknown and disabled accounts)' },
  MFA_REQUIRED: { status: 401, meaning: 'the password was right and a second factor is needed: send `mfa_token` and a code to POST /api/auth/mfa/verify' },
  INVALID_MFA_TOKEN: { status: 401, meaning: 'the `mfa_token` is unknown, expired (5 minutes) or already used; sign in again' },
  INVALID_MFA_CODE: { status: 401, meaning: 'the authenticator or recovery code is wrong, expired or was used already' },
  INSUFFICIENT_PERMISSIONS: { status: 403, meaning: 'the token lacks a permission this request needs, or is of a kind this API does not take' },
  UNAUTHORIZED_CLIENT: { status: 403, meaning: 'password login is only for first-party public clients' },
  EMAIL_NOT_VERIFIED: {
    status: 403,
    meaning:
      'the password is right but the address is not confirmed yet (registration.require_verified_email); POST /api/auth/verify-email/resend sends a new link',
  },
  REGISTRATION_DISABLED: { status: 403, meaning: 'self-registration is switched off' },
  MFA_ENROLLMENT_REQUIRED: {
    status: 403,
    meaning: 'the policy (`mfa`) requires a second factor this user has not set up: set one up with the `mfa_token` (POST /api/auth/mfa/enrol/totp)',
  },
  NOT_FOUND: { status: 404, meaning: 'no route at this path under /api/' },
  USER_NOT_FOUND: { status: 404, meaning: 'no such user' },
  SESSION_NOT_FOUND: { status: 404, meaning: 'no such active session' },
  CLIENT_NOT_FOUND: { status: 404, meaning: 'no such client in the database' },
  API_KEY_NOT_FOUND: { status: 404, meaning: 'no such active API key' },
  PASSKEY_NOT_FOUND: { status: 404, meaning: 'no such passkey of this user' },
  METHOD_NOT_ALLOWED: { status: 405, meaning: 'the path does not take this method; Allow lists those it takes' },
  USER_EXISTS: { status: 409, meaning: 'an account with this email already exists' },
  MFA_ALREADY_ENROLLED: { status: 409, meaning: 'an authenticator app is already set up; remove it before setting up another' },
  MFA_NOT_ENROLLED: { status: 409, meaning: 'no authenticator setup was started, or the user has no second factor for this' },
  WEAK_PASSWORD: { status: 422, meaning: 'the password does not meet the password policy (`rules` names the unmet rules)' },
  TOO_MANY_REQUESTS: { status: 429, meaning: 'too many requests or sign-in attempts; wait for Retry-After seconds' },
  INTERNAL_ERROR: { status: 500, meaning: 'a fault on the server side (details only in its log)' },
  SERVICE_UNAVAILABLE: { status: 503, meaning: 'the database or the signing keys cannot be used right now; retry after Retry-After seconds' },
  SERVER_BUSY: { status: 503, meaning: 'too many password checks in progress; retry after Retry-After seconds' },
} as const satisfies Record<string, { status: number; meaning: string }>;

export type ApiErrorCode = keyof typeof API_ERRORS;

/** Codes that never reach the JSON API: a person reads them at start-up or from the CLI. */
export const OPERATOR_ERRORS = {
  CONFIG_INVALID: { status: 500, meaning: 'a configuration file or environment variable is wrong' },
  DATABASE_UNAVAILABLE: { status: 503, meaning: 'the database cannot be reached or used' },
  SIGNING_KEYS_EXIST: { status: 409, meaning: 'keys generate or keys import found keys in the database (generate --force replaces them)' },
  NO_DATABASE: { status: 500, meaning: 'a CLI command found no embedded database and was not asked to create one' },
} as const satisfies Record<string, { status: number; meaning: string }>;

export type ErrorCode = ApiErrorCode | keyof typeof OPERATOR_ERRORS;

export function statusOf(code: ErrorCode): number {
  return code in API_ERRORS ? API_ERRORS[code as ApiErrorCode].status : OPERATOR_ERRORS[code as keyof typeof OPERATOR_ERRORS].status;
}
