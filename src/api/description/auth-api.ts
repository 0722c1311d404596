import type { JSONSchemaType } from 'ajv';
import type { RouteDescription } from './route-description.js';
import { schemaRef } from './response-schemas.js';

// The bodies /api/auth/* accepts: the router validates with these, the OpenAPI document shows them.
export type RegisterBody = { email: string; password: string };
export type LoginBody = { email: string; password: string; client_id?: string; device_token?: string };
export type RefreshBody = { refresh_token: string; client_id?: string };
export type ChangePasswordBody = { current_password: string; new_password: string };
export type NewApiKeyBody = { name: string; permissions?: string[]; expires_in_days?: number };
export type MfaVerifyBody = { mfa_token: string; code: string; device_token?: string };
export type MfaTokenBody = { mfa_token: string };
export type MfaEnrolConfirmBody = { mfa_token: string; code: string };
export type CodeBody = { code: string };
export type EmailOnlyBody = { email: string };
export type ResetPasswordBody = { token: string; new_password: string };
export type EmailTokenBody = { token: string };
export type ChangeEmailBody = { new_email: string; password: string };

const email = { type: 'string', maxLength: 1024 } as const;
const password = { type: 'string', maxLength: 4096 } as const;
// the emailed tokens are 43 base64url characters; anything else is refused as an invalid link, not a bad request
const emailToken = { type: 'string', maxLength: 256 } as const;
const clientId = { type: 'string', minLength: 1, maxLength: 128, nullable: true } as const;
const mfaToken = {
  type: 'string',
  minLength: 1,
  maxLength: 128,
  description: 'from the 401 MFA_REQUIRED or 403 MFA_ENROLLMENT_REQUIRED answer of login',
} as const;
const code = { type: 'string', minLength: 1, maxLength: 64, description: 'six digits from the authenticator app, or a recovery code' } as const;

export const authBodies = {
  register: { type: 'object', additionalProperties: false, required: ['email', 'password'], properties: { email, password } } as JSONSchemaType<RegisterBody>,
  login: {
    type: 'object',
    additionalProperties: false,
    required: ['email', 'password'],
    properties: { email, password, client_id: clientId, device_token: { type: 'string', maxLength: 200, nullable: true } },
  } as JSONSchemaType<LoginBody>,
  refresh: {
    type: 'object',
    additionalProperties: false,
    required: ['refresh_token'],
    properties: { refresh_token: { type: 'string', minLength: 1, maxLength: 1024 }, client_id: clientId },
  } as JSONSchemaType<RefreshBody>,
  changePassword: {
    type: 'object',
    additionalProperties: false,
    required: ['current_password', 'new_password'],
    properties: { current_password: password, new_password: password },
  } as JSONSchemaType<ChangePasswordBody>,
  newApiKey: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 100 },
      permissions: { type: 'array', items: { type: 'string', maxLength: 64 }, maxItems: 100, nullable: true },
      expires_in_days: { type: 'integer', minimum: 1, maximum: 3650, nullable: true },
    },
  } as JSONSchemaType<NewApiKeyBody>,
  mfaVerify: {
    type: 'object',
    additionalProperties: false,
    required: ['mfa_token', 'code'],
    properties: { mfa_token: mfaToken, code, device_token: { type: 'string', maxLength: 200, nullable: true } },
  } as JSONSchemaType<MfaVerifyBody>,
  mfaToken: { type: 'object', additionalProperties: false, required: ['mfa_token'], properties: { mfa_token: mfaToken } } as JSONSchemaType<MfaTokenBody>,
  mfaEnrolConfirm: {
    type: 'object',
    additionalProperties: false,
    required: ['mfa_token', 'code'],
    properties: { mfa_token: mfaToken, code },
  } as JSONSchemaType<MfaEnrolConfirmBody>,
  code: { type: 'object', additionalProperties: false, required: ['code'], properties: { code } } as JSONSchemaType<CodeBody>,
  emailOnly: { type: 'object', additionalProperties: false, required: ['email'], properties: { email } } as JSONSchemaType<EmailOnlyBody>,
  resetPassword: {
    type: 'object',
    additionalProperties: false,
    required: ['token', 'new_password'],
    properties: { token: emailToken, new_password: password },
  } as JSONSchemaType<ResetPasswordBody>,
  emailToken: { type: 'object', additionalProperties: false, required: ['token'], properties: { token: emailToken } } as JSONSchemaType<EmailTokenBody>,
  changeEmail: {
    type: 'object',
    additionalProperties: false,
    required: ['new_email', 'password'],
    properties: { new_email: email, password },
  } as JSONSchemaType<ChangeEmailBody>,
};

const user = { kind: 'user' } as const;

export const authApi: RouteDescription[] = [
  {
    method: 'post',
    path: '/api/auth/register',
    operationId: 'register',
    tag: 'account',
    access: { kind: 'public' },
    summary: 'Create an account (when registration is enabled)',
    body: authBodies.register,
    success: { status: 201, description: 'the new account', schema: schemaRef('Account') },
    errors: ['REGISTRATION_DISABLED', 'INVALID_EMAIL', 'WEAK_PASSWORD', 'USER_EXISTS', 'TOO_MANY_REQUESTS', 'SERVER_BUSY'],
  },
  {
    method: 'post',
    path: '/api/auth/login',
    operationId: 'login',
    tag: 'account',
    access: { kind: 'public' },
    summary: 'Log in with email and password through a first-party public client',
    body: authBodies.login,
    description:
      'Issues what the token endpoint issues: a JWT access token and a rotating refresh token. A user with a second factor gets 401 MFA_REQUIRED with `mfa_token`, `methods` and `device_token` instead (continue at POST /api/auth/mfa/verify); a user the policy demands one of, who has none, gets 403 MFA_ENROLLMENT_REQUIRED with `mfa_token` (continue at POST /api/auth/mfa/enrol/totp).',
    success: { status: 200, description: 'tokens and a device token', schema: schemaRef('Tokens') },
    errors: ['INVALID_CREDENTIALS', 'MFA_REQUIRED', 'UNAUTHORIZED_CLIENT', 'MFA_ENROLLMENT_REQUIRED', 'EMAIL_NOT_VERIFIED', 'TOO_MANY_REQUESTS', 'SERVER_BUSY'],
  },
  {
    method: 'post',
    path: '/api/auth/refresh',
    operationId: 'refresh',
    tag: 'account',
    access: { kind: 'public' },
    summary: 'Exchange a refresh token for new tokens (the old refresh token stops working)',
    body: authBodies.refresh,
    success: { status: 200, description: 'new tokens', schema: schemaRef('Tokens') },
    errors: ['INVALID_TOKEN'],
  },
  {
    method: 'post',
    path: '/api/auth/logout',
    operationId: 'logout',
    tag: 'account',
    access: user,
    summary: "End the token's session (its refresh tokens stop working)",
    success: { status: 200, description: 'logged out', schema: schemaRef('Message') },
    errors: [],
  },
  {
    method: 'get',
    path: '/api/auth/me',
    operationId: 'getAccount',
    tag: 'account',
    access: { kind: 'user', apiKeyTokens: true },
    summary: 'The calling user (also with a token exchanged from an API key)',
    success: { status: 200, description: 'the account and its permissions', schema: schemaRef('Account') },
    errors: [],
  },
  {
    method: 'put',
    path: '/api/auth/change-password',
    operationId: 'changePassword',
    tag: 'account',
    access: user,
    summary: "Change the caller's password; every other session ends",
    body: authBodies.changePassword,
    success: { status: 200, description: 'changed', schema: schemaRef('PasswordChanged') },
    errors: ['INVALID_CREDENTIALS', 'WEAK_PASSWORD', 'TOO_MANY_REQUESTS', 'SERVER_BUSY'],
  },
  {
    method: 'get',
    path: '/api/auth/sessions',
    operationId: 'listOwnSessions',
    tag: 'account',
    access: user,
    summary: "The caller's active sessions",
    success: { status: 200, description: 'sessions', schema: schemaRef('Sessions') },
    errors: [],
  },
  {
    method: 'delete',
    path: '/api/auth/sessions/:id',
    operationId: 'endOwnSession',
    tag: 'account',
    access: user,
    summary: "End one of the caller's sessions (its refresh tokens stop working)",
    success: { status: 204, description: 'ended' },
    errors: ['SESSION_NOT_FOUND'],
  },
  {
    method: 'post',
    path: '/api/auth/api-keys',
    operationId: 'createApiKey',
    tag: 'account',
    access: user,
    summary: 'Create a personal API key (shown once) with at most the permissions of the calling token',
    body: authBodies.newApiKey,
    success: { status: 201, description: 'the key, with `key` shown only now', schema: schemaRef('ApiKey') },
    errors: [],
  },
  {
    method: 'get',
    path: '/api/auth/api-keys',
    operationId: 'listOwnApiKeys',
    tag: 'account',
    access: user,
    summary: "The caller's API keys (never the keys themselves)",
    success: { status: 200, description: 'API keys', schema: schemaRef('ApiKeys') },
    errors: [],
  },
  {
    method: 'delete',
    path: '/api/auth/api-keys/:id',
    operationId: 'revokeOwnApiKey',
    tag: 'account',
    access: user,
    summary: "Revoke one of the caller's API keys",
    success: { status: 204, description: 'revoked' },
    errors: ['API_KEY_NOT_FOUND'],
  },
  ...mfaApi(),
  {
    method: 'post',
    path: '/api/auth/forgot-password',
    operationId: 'forgotPassword',
    tag: 'account',
    access: { kind: 'public' },
    summary: 'Mail a password reset link (works once, for 30 minutes) to the account with this address, if there is one',
    description:
      'The answer is the same whether or not an account has this address, and comes before any work on it. Links to one address are limited per hour (rate_limit.mails_per_email_per_hour); beyond it the answer is the same and nothing is sent.',
    body: authBodies.emailOnly,
    success: { status: 202, description: 'accepted (whether or not a mail is sent)', schema: schemaRef('Message') },
    errors: ['TOO_MANY_REQUESTS'],
  },
  {
    method: 'post',
    path: '/api/auth/reset-password',
    operationId: 'resetPassword',
    tag: 'account',
    access: { kind: 'public' },
    summary: 'Set a new password with the token of a reset link; every session and grant of the user ends',
    body: authBodies.resetPassword,
    success: { status: 200, description: 'changed', schema: schemaRef('PasswordChanged') },
    errors: ['INVALID_EMAIL_TOKEN', 'WEAK_PASSWORD', 'TOO_MANY_REQUESTS', 'SERVER_BUSY'],
  },
  {
    method: 'post',
    path: '/api/auth/verify-email',
    operationId: 'verifyEmail',
    tag: 'account',
    access: { kind: 'public' },
    summary: 'Confirm an address with the token of a confirmation link (a new account, or a change of address)',
    body: authBodies.emailToken,
    success: { status: 200, description: 'confirmed', schema: schemaRef('EmailConfirmed') },
    errors: ['INVALID_EMAIL_TOKEN', 'USER_EXISTS', 'TOO_MANY_REQUESTS'],
  },
  {
    method: 'post',
    path: '/api/auth/verify-email/resend',
    operationId: 'resendVerification',
    tag: 'account',
    access: { kind: 'public' },
    summary: 'Mail a new confirmation link (24 hours) to this address, if an account there still needs one',
    description: 'The same answer whatever the address, as forgot-password.',
    body: authBodies.emailOnly,
    success: { status: 202, description: 'accepted (whether or not a mail is sent)', schema: schemaRef('Message') },
    errors: ['TOO_MANY_REQUESTS'],
  },
  {
    method: 'post',
    path: '/api/auth/change-email',
    operationId: 'changeEmail',
    tag: 'account',
    access: user,
    summary: "Move the caller's account to another address: takes effect when the link mailed there is used; the old address is told",
    body: authBodies.changeEmail,
    success: { status: 202, description: 'a confirmation link was mailed to the new address', schema: schemaRef('Message') },
    errors: ['INVALID_EMAIL', 'INVALID_CREDENTIALS', 'USER_EXISTS', 'TOO_MANY_REQUESTS', 'SERVER_BUSY'],
  },
];

/** /api/auth/mfa/*: the second step of the JSON login, and the caller's own second factors. */
function mfaApi(): RouteDescription[] {
  const tokens = { status: 200, description: 'tokens (with amr) and a device token', schema: schemaRef('Tokens') };
  return [
    {
      method: 'post',
      path: '/api/auth/mfa/verify',
      operationId: 'verifySecondFactor',
      tag: 'account',
      access: { kind: 'public' },
      summary: 'Finish a login that answered MFA_REQUIRED: the mfa_token and a code from the authenticator app or a recovery code',
      description: 'Codes go through the same sign-in throttle as passwords. Each code is accepted once; the mfa_token lives 5 minutes and is used once.',
      body: authBodies.mfaVerify,
      success: tokens,
      errors: ['INVALID_MFA_TOKEN', 'INVALID_MFA_CODE', 'TOO_MANY_REQUESTS', 'SERVER_BUSY'],
    },
    {
      method: 'post',
      path: '/api/auth/mfa/enrol/totp',
      operationId: 'startEnrolmentDuringLogin',
      tag: 'account',
      access: { kind: 'public' },
      summary: 'A login that answered MFA_ENROLLMENT_REQUIRED: start setting up an authenticator app with the mfa_token',
      body: authBodies.mfaToken,
      success: { status: 200, description: 'the secret, its otpauth URI and QR code', schema: schemaRef('TotpEnrolment') },
      errors: ['INVALID_MFA_TOKEN', 'MFA_ALREADY_ENROLLED'],
    },
    {
      method: 'post',
      path: '/api/auth/mfa/enrol/totp/confirm',
      operationId: 'confirmEnrolmentDuringLogin',
      tag: 'account',
      access: { kind: 'public' },
      summary: 'Confirm the authenticator app with one of its codes; finishes the login with tokens and the recovery codes (shown once)',
      body: authBodies.mfaEnrolConfirm,
      success: tokens,
      errors: ['INVALID_MFA_TOKEN', 'INVALID_MFA_CODE', 'MFA_ALREADY_ENROLLED', 'MFA_NOT_ENROLLED'],
    },
    {
      method: 'get',
      path: '/api/auth/mfa',
      operationId: 'getSecondFactors',
      tag: 'account',
      access: user,
      summary: "The caller's second factors (whether and how many, never a secret)",
      success: { status: 200, description: 'second factors', schema: schemaRef('MfaStatus') },
      errors: [],
    },
    {
      method: 'post',
      path: '/api/auth/mfa/totp',
      operationId: 'startTotpEnrolment',
      tag: 'account',
      access: user,
      summary: 'Start setting up an authenticator app (it counts once confirmed); a user who has a passkey needs a token from a sign-in with a second factor',
      success: { status: 200, description: 'the secret, its otpauth URI and QR code', schema: schemaRef('TotpEnrolment') },
      errors: ['MFA_ALREADY_ENROLLED'],
    },
    {
      method: 'post',
      path: '/api/auth/mfa/totp/confirm',
      operationId: 'confirmTotpEnrolment',
      tag: 'account',
      access: user,
      summary: 'Confirm the authenticator app with one of its codes; the first second factor brings ten recovery codes (shown once)',
      body: authBodies.code,
      success: { status: 200, description: 'recovery codes (empty when the user had them already)', schema: schemaRef('RecoveryCodes') },
      errors: ['INVALID_MFA_CODE', 'MFA_ALREADY_ENROLLED', 'MFA_NOT_ENROLLED'],
    },
    {
      method: 'delete',
      path: '/api/auth/mfa/totp',
      operationId: 'removeTotp',
      tag: 'account',
      access: user,
      summary: 'Remove the authenticator app (needs a token from a sign-in with a second factor)',
      success: { status: 204, description: 'removed' },
      errors: ['MFA_NOT_ENROLLED'],
    },
    {
      method: 'post',
      path: '/api/auth/mfa/recovery-codes',
      operationId: 'regenerateRecoveryCodes',
      tag: 'account',
      access: user,
      summary: 'Ten new recovery codes, replacing the old ones (needs a token from a sign-in with a second factor)',
      success: { status: 200, description: 'the new codes, shown this once', schema: schemaRef('RecoveryCodes') },
      errors: ['MFA_NOT_ENROLLED'],
    },
  ];
}
