import type { JSONSchemaType } from 'ajv';
import type { ClientGrant } from '../../clients/clients-service.js';
import { MANAGE_SYSTEM, MANAGE_USERS } from '../../rbac/management-permissions.js';
import type { RouteDescription } from './route-description.js';
import { schemaRef } from './response-schemas.js';

// The bodies /api/admin/* accepts: the router validates with these, the OpenAPI document shows them.
export type NewUserBody = { email: string; password: string; role?: string };
export type UserPatchBody = { role?: string; is_active?: boolean };
export type NewClientBody = {
  name: string;
  grant: ClientGrant;
  redirect_uris?: string[];
  post_logout_redirect_uris?: string[];
  public?: boolean;
  first_party?: boolean;
  permissions?: string[];
  resource_server?: boolean;
};
export type ClientPatchBody = {
  name?: string;
  redirect_uris?: string[];
  post_logout_redirect_uris?: string[];
  first_party?: boolean;
  permissions?: string[];
  resource_server?: boolean;
};

const uris = { type: 'array', items: { type: 'string', maxLength: 2000 }, maxItems: 50, nullable: true } as const;
const permissions = { type: 'array', items: { type: 'string', maxLength: 64 }, maxItems: 100, nullable: true } as const;
const flag = { type: 'boolean', nullable: true } as const;

export const adminBodies = {
  newUser: {
    type: 'object',
    additionalProperties: false,
    required: ['email', 'password'],
    properties: {
      email: { type: 'string', maxLength: 1024 },
      password: { type: 'string', maxLength: 4096 },
      role: { type: 'string', maxLength: 64, nullable: true },
    },
  } as JSONSchemaType<NewUserBody>,
  userPatch: {
    type: 'object',
    additionalProperties: false,
    minProperties: 1,
    properties: { role: { type: 'string', maxLength: 64, nullable: true }, is_active: flag },
  } as JSONSchemaType<UserPatchBody>,
  newClient: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'grant'],
    properties: {
      name: { type: 'string', maxLength: 100 },
      grant: { type: 'string', enum: ['client_credentials', 'authorization_code', 'device_code'] },
      redirect_uris: uris,
      post_logout_redirect_uris: uris,
      public: flag,
      first_party: flag,
      permissions,
      resource_server: flag,
    },
  } as JSONSchemaType<NewClientBody>,
  clientPatch: {
    type: 'object',
    additionalProperties: false,
    minProperties: 1,
    properties: {
      name: { type: 'string', maxLength: 100, nullable: true },
      redirect_uris: uris,
      post_logout_redirect_uris: uris,
      first_party: flag,
      permissions,
      resource_server: flag,
    },
  } as JSONSchemaType<ClientPatchBody>,
};

// Query strings and path parameters /api/admin/* accepts: the router checks them with these (request-guard.ts),
// the OpenAPI document shows them. Defaults are filled in by the check before `required` is looked at.
export type Page = { limit: number; offset: number };
export type UserListParams = Page & { search?: string; role?: string };
export type SessionListParams = Page & { user_id?: string };
export type ApiKeyListParams = { user_id?: string };
export type OutboxParams = Page & { status?: 'pending' | 'sent' | 'failed' };
export type AuditEventParams = Page & { event?: string; user_id?: string; client_id?: string; outcome?: 'success' | 'failure'; since?: string; until?: string };

const limit = (fallback: number, max: number) => ({ type: 'integer', description: 'page size', minimum: 1, maximum: max, default: fallback }) as const;
const offset = { type: 'integer', description: 'rows to skip', minimum: 0, maximum: 1_000_000_000, default: 0 } as const;
const userId = { type: 'string', description: 'only this user’s', format: 'uuid', nullable: true } as const;
const instant = (description: string) => ({ type: 'string', description, format: 'date-time', nullable: true }) as const;
const text = (description: string, maxLength: number) => ({ type: 'string', description, maxLength, nullable: true }) as const;

export const adminQueries = {
  users: {
    type: 'object',
    required: ['limit', 'offset'],
    properties: { search: text('part of the email', 200), role: text('only this role', 64), limit: limit(50, 500), offset },
  } as JSONSchemaType<UserListParams>,
  sessions: {
    type: 'object',
    required: ['limit', 'offset'],
    properties: { user_id: userId, limit: limit(50, 500), offset },
  } as JSONSchemaType<SessionListParams>,
  apiKeys: { type: 'object', properties: { user_id: userId } } as JSONSchemaType<ApiKeyListParams>,
  outbox: {
    type: 'object',
    required: ['limit', 'offset'],
    properties: {
      status: { type: 'string', description: 'pending, sent or failed', enum: ['pending', 'sent', 'failed'], nullable: true },
      limit: limit(50, 500),
      offset,
    },
  } as JSONSchemaType<OutboxParams>,
  auditEvents: {
    type: 'object',
    required: ['limit', 'offset'],
    properties: {
      event: text('event name, e.g. login', 64),
      user_id: userId,
      client_id: text('only this client', 128),
      outcome: { type: 'string', description: 'success or failure', enum: ['success', 'failure'], nullable: true },
      since: instant('from this time (inclusive)'),
      until: instant('before this time'),
      limit: limit(100, 1000),
      offset,
    },
  } as JSONSchemaType<AuditEventParams>,
};

const users = { kind: 'permission', permission: MANAGE_USERS } as const;
const system = { kind: 'permission', permission: MANAGE_SYSTEM } as const;

export const adminApi: RouteDescription[] = [
  {
    method: 'get',
    path: '/api/admin/users',
    operationId: 'listUsers',
    tag: 'admin',
    access: users,
    summary: 'List users, searched and paged',
    query: adminQueries.users,
    success: { status: 200, description: 'a page of users and the total', schema: schemaRef('Users') },
    errors: [],
  },
  {
    method: 'get',
    path: '/api/admin/users/:id',
    operationId: 'getUser',
    tag: 'admin',
    access: users,
    summary: 'Read one user',
    success: { status: 200, description: 'the user', schema: schemaRef('User') },
    errors: ['USER_NOT_FOUND'],
  },
  {
    method: 'post',
    path: '/api/admin/users',
    operationId: 'createUser',
    tag: 'admin',
    access: users,
    summary: 'Create a user (only with a role whose permissions the caller holds)',
    body: adminBodies.newUser,
    success: { status: 201, description: 'the new user', schema: schemaRef('User') },
    errors: ['INVALID_EMAIL', 'UNKNOWN_ROLE', 'WEAK_PASSWORD', 'USER_EXISTS', 'SERVER_BUSY'],
  },
  {
    method: 'patch',
    path: '/api/admin/users/:id',
    operationId: 'updateUser',
    tag: 'admin',
    access: users,
    summary: "Change a user's role, or disable / enable them (disabling ends their sessions)",
    body: adminBodies.userPatch,
    success: { status: 200, description: 'the changed user', schema: schemaRef('User') },
    errors: ['UNKNOWN_ROLE', 'USER_NOT_FOUND'],
  },
  {
    method: 'delete',
    path: '/api/admin/users/:id/sessions',
    operationId: 'endUserSessions',
    tag: 'admin',
    access: users,
    summary: "End all of a user's sessions and browser sign-ins",
    success: { status: 200, description: 'how many ended', schema: schemaRef('SessionsEnded') },
    errors: ['USER_NOT_FOUND'],
  },
  {
    method: 'delete',
    path: '/api/admin/users/:id/mfa',
    operationId: 'resetSecondFactors',
    tag: 'admin',
    access: users,
    summary: 'Remove every second factor of a user who lost them (authenticator app, passkeys, recovery codes); audited as mfa.reset',
    success: { status: 200, description: 'what was removed (never a secret)', schema: schemaRef('SecondFactorsReset') },
    errors: ['USER_NOT_FOUND'],
  },
  {
    method: 'post',
    path: '/api/admin/users/:id/password-reset',
    operationId: 'sendPasswordReset',
    tag: 'admin',
    access: users,
    summary: "Mail the user a password reset link (30 minutes); the user's password and sessions stay until it is used",
    success: { status: 202, description: 'the link is queued in the outbox', schema: schemaRef('Message') },
    errors: ['USER_NOT_FOUND'],
  },
  {
    method: 'post',
    path: '/api/admin/users/:id/verify-email',
    operationId: 'markEmailVerified',
    tag: 'admin',
    access: users,
    summary: "Mark the user's address as confirmed (email_verified true), without a link",
    success: { status: 200, description: 'the user', schema: schemaRef('User') },
    errors: ['USER_NOT_FOUND'],
  },
  {
    method: 'get',
    path: '/api/admin/sessions',
    operationId: 'listSessions',
    tag: 'admin',
    access: users,
    summary: 'Active sessions, of everyone or one user',
    query: adminQueries.sessions,
    success: { status: 200, description: 'sessions', schema: schemaRef('Sessions') },
    errors: [],
  },
  {
    method: 'delete',
    path: '/api/admin/sessions/:id',
    operationId: 'endSession',
    tag: 'admin',
    access: users,
    summary: 'End one session',
    success: { status: 204, description: 'ended' },
    errors: ['SESSION_NOT_FOUND'],
  },
  {
    method: 'get',
    path: '/api/admin/clients',
    operationId: 'listClients',
    tag: 'admin',
    access: system,
    summary: 'Clients registered in the database',
    success: { status: 200, description: 'clients', schema: schemaRef('Clients') },
    errors: [],
  },
  {
    method: 'post',
    path: '/api/admin/clients',
    operationId: 'createClient',
    tag: 'admin',
    access: system,
    summary: 'Register a client (its secret is in the answer, once)',
    body: adminBodies.newClient,
    success: { status: 201, description: 'the client', schema: schemaRef('Client') },
    errors: ['INVALID_CLIENT'],
  },
  {
    method: 'patch',
    path: '/api/admin/clients/:id',
    operationId: 'updateClient',
    tag: 'admin',
    access: system,
    summary: 'Change a client',
    body: adminBodies.clientPatch,
    success: { status: 200, description: 'the changed client', schema: schemaRef('Client') },
    errors: ['INVALID_CLIENT', 'CLIENT_NOT_FOUND'],
  },
  {
    method: 'delete',
    path: '/api/admin/clients/:id',
    operationId: 'deleteClient',
    tag: 'admin',
    access: system,
    summary: 'Delete a client; its tokens stop working',
    success: { status: 204, description: 'deleted' },
    errors: ['CLIENT_NOT_FOUND'],
  },
  {
    method: 'post',
    path: '/api/admin/clients/:id/secret',
    operationId: 'resetClientSecret',
    tag: 'admin',
    access: system,
    summary: 'Give a client a new secret (the old one stops working)',
    success: { status: 200, description: 'the client with its new secret', schema: schemaRef('Client') },
    errors: ['INVALID_CLIENT', 'CLIENT_NOT_FOUND'],
  },
  {
    method: 'get',
    path: '/api/admin/api-keys',
    operationId: 'listApiKeys',
    tag: 'admin',
    access: system,
    summary: "Every API key, or one user's",
    query: adminQueries.apiKeys,
    success: { status: 200, description: 'API keys (never the keys)', schema: schemaRef('ApiKeys') },
    errors: [],
  },
  {
    method: 'delete',
    path: '/api/admin/api-keys/:id',
    operationId: 'revokeApiKey',
    tag: 'admin',
    access: system,
    summary: 'Revoke any API key',
    success: { status: 204, description: 'revoked' },
    errors: ['API_KEY_NOT_FOUND'],
  },
  {
    method: 'get',
    path: '/api/admin/keys',
    operationId: 'listSigningKeys',
    tag: 'admin',
    access: system,
    summary: 'Signing keys and their state (no key material)',
    success: { status: 200, description: 'signing keys', schema: schemaRef('SigningKeys') },
    errors: [],
  },
  {
    method: 'post',
    path: '/api/admin/keys/rotate',
    operationId: 'rotateSigningKeys',
    tag: 'admin',
    access: system,
    summary: 'Rotate the signing keys (see Key rotation in the README)',
    success: { status: 200, description: 'the added keys and every key', schema: schemaRef('SigningKeys') },
    errors: ['INTERNAL_ERROR'],
  },
  {
    method: 'get',
    path: '/api/admin/audit-events',
    operationId: 'listAuditEvents',
    tag: 'admin',
    access: system,
    summary: 'The audit log, newest first',
    query: adminQueries.auditEvents,
    success: { status: 200, description: 'events', schema: schemaRef('AuditEvents') },
    errors: [],
  },
  {
    method: 'get',
    path: '/api/admin/outbox',
    operationId: 'listOutbox',
    tag: 'admin',
    access: system,
    summary: 'The mail outbox, newest first: status, attempts and last error of each mail (never its links)',
    query: adminQueries.outbox,
    success: { status: 200, description: 'mails', schema: schemaRef('Outbox') },
    errors: [],
  },
];
