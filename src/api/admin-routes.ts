import Router from '@koa/router';
import type { Context } from 'koa';
import type { Knex } from 'knex';
import { getUser, listAccounts, publicUser, type AccountsContext } from '../accounts/accounts-service.js';
import { secondFactorNotice } from '../email-links/sign-in-notices.js';
import { createUserAs, endUserSessionsAs, markEmailVerifiedAs, sendPasswordResetAs, updateUserAs } from '../accounts/user-administration.js';
import type { MailingContext } from '../email-links/mailing-context.js';
import { listOutbox } from '../mail/index.js';
import { listApiKeys, publicApiKey, revokeApiKey } from '../apikeys/api-keys-service.js';
import type { ChangeOrigin } from '../audit/actor.js';
import { listAuditEvents } from '../audit/audit-log.js';
import { resetSecondFactorsAs } from '../mfa/mfa-administration.js';
import { createClient, deleteClient, listClients, resetClientSecret, updateClient, type ClientRow, type ClientsContext } from '../clients/clients-service.js';
import type { RegisteredClient } from '../clients/client-policy.js';
import type { Config } from '../config/types.js';
import { AuthConnectError } from '../errors.js';
import type { KeyEncryptionKey } from '../keys/key-encryption.js';
import { listSigningKeys, rotateSigningKeys } from '../keys/signing-keys-service.js';
import { MANAGE_SYSTEM, MANAGE_USERS } from '../rbac/management-permissions.js';
import { authenticate, type AccessTokenVerifier } from '@auth-connect/resource-server';
import { endSessions, listAllSessions, listSessions, publicSession } from '../sessions/sessions-service.js';
import { adminBodies, adminQueries } from './description/admin-api.js';
import { idPath } from './description/id-path.js';
import { jsonBody } from './json-body.js';
import { managementCaller, requires, type ManagementState } from './management-access.js';
import { refuseUnstorableInput } from './storable-input.js';
import { guard } from './request-guard.js';
import { parseTimestamp } from '../input/timestamp.js';

export interface AdminRoutesDeps {
  db: Knex;
  config: Config;
  verifier: AccessTokenVerifier;
  /** The registered client a token was issued to (static or from the database). */
  findClient: (clientId: string) => Promise<RegisteredClient | undefined>;
  /** Seals the keys a rotation adds. */
  keyEncryptionKey: KeyEncryptionKey;
  /** Applies a key rotation to the running server at once (other instances follow the database). */
  onKeysRotated: () => Promise<void>;
  mailing: MailingContext;
}

const listUsersRequest = guard({ query: adminQueries.users });
const newUserRequest = guard({ body: adminBodies.newUser });
const idRequest = guard({ params: idPath });
const userPatchRequest = guard({ params: idPath, body: adminBodies.userPatch });
const listSessionsRequest = guard({ query: adminQueries.sessions });
const newClientRequest = guard({ body: adminBodies.newClient });
const clientPatchRequest = guard({ params: idPath, body: adminBodies.clientPatch });
const listApiKeysRequest = guard({ query: adminQueries.apiKeys });
const auditEventsRequest = guard({ query: adminQueries.auditEvents });
const outboxRequest = guard({ query: adminQueries.outbox });

type AdminContext = Context & { state: ManagementState };
const caller = (ctx: AdminContext) => ctx.state.caller;
const origin = (ctx: Context): ChangeOrigin => ({ via: 'admin_api', ip: ctx.ip, userAgent: ctx.get('user-agent') || null });

/**
 * /api/admin/*, by permission (never by role name): manage_users for users and sessions, manage_system
 * for clients, API keys, signing keys and the audit log. Callers are users of first-party apps and machine
 * clients registered with those permissions (management-access.ts); what a caller may do to another user
 * is bounded by its own permissions (accounts/user-administration.ts). Every change is audited with its actor.
 */
export function adminRoutes(deps: AdminRoutesDeps): Router {
  const { db, config } = deps;
  const accounts: AccountsContext = { db, config, onSecondFactorChange: secondFactorNotice(deps.mailing) };
  const clients: ClientsContext = { db, roles: config.roles };
  const router = new Router<ManagementState>({ prefix: '/api/admin' });
  const manageUsers = requires(MANAGE_USERS);
  const manageSystem = requires(MANAGE_SYSTEM);

  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });
  router.use(authenticate(deps.verifier, { realm: config.runtime.issuer }));
  router.use(managementCaller({ db, roles: config.roles, findClient: deps.findClient }, { machines: true }));
  router.use(jsonBody());
  router.use(refuseUnstorableInput());

  // users
  router.get('/users', manageUsers, async (ctx) => {
    const { users, total } = await listAccounts(accounts, listUsersRequest(ctx).query);
    ctx.body = { total, users: users.map(publicUser) };
  });
  router.get('/users/:id', manageUsers, async (ctx) => {
    ctx.body = publicUser(await getUser(accounts, idRequest(ctx).params.id));
  });
  router.post('/users', manageUsers, async (ctx) => {
    const user = await createUserAs(accounts, caller(ctx), newUserRequest(ctx).body, origin(ctx));
    ctx.status = 201;
    ctx.body = publicUser(user);
  });
  router.patch('/users/:id', manageUsers, async (ctx) => {
    const { params, body } = userPatchRequest(ctx);
    ctx.body = publicUser(await updateUserAs(accounts, caller(ctx), params.id, body, origin(ctx)));
  });
  router.delete('/users/:id/sessions', manageUsers, async (ctx) => {
    ctx.body = { sessions_ended: await endUserSessionsAs(accounts, caller(ctx), idRequest(ctx).params.id, origin(ctx)) };
  });

  // second factors: removed for a user who lost them; admins never see a secret
  router.delete('/users/:id/mfa', manageUsers, async (ctx) => {
    ctx.body = await resetSecondFactorsAs(accounts, caller(ctx), idRequest(ctx).params.id, origin(ctx));
  });
  router.post('/users/:id/password-reset', manageUsers, async (ctx) => {
    // an operator's link is in the server's default language: we know no better for the user
    const user = await sendPasswordResetAs(deps.mailing, caller(ctx), idRequest(ctx).params.id, origin(ctx), config.auth.pages.default_locale);
    ctx.status = 202;
    ctx.body = { message: `a reset link to ${user.email} is queued` };
  });
  router.post('/users/:id/verify-email', manageUsers, async (ctx) => {
    ctx.body = publicUser(await markEmailVerifiedAs(accounts, caller(ctx), idRequest(ctx).params.id, origin(ctx)));
  });

  // sessions
  router.get('/sessions', manageUsers, async (ctx) => {
    const { user_id: userId, ...page } = listSessionsRequest(ctx).query;
    const rows = userId ? await listSessions(accounts, userId) : await listAllSessions(accounts, page);
    ctx.body = { sessions: rows.map((s) => ({ ...publicSession(s), user_id: s.user_id })) };
  });
  router.delete('/sessions/:id', manageUsers, async (ctx) => {
    const ended = await endSessions(accounts, { kind: 'one', sessionId: idRequest(ctx).params.id }, 'ended_by_admin', caller(ctx).actor);
    if (!ended.length) throw new AuthConnectError('SESSION_NOT_FOUND', 'no such active session');
    ctx.status = 204;
  });

  // clients
  router.get('/clients', manageSystem, async (ctx) => {
    ctx.body = { clients: (await listClients(db)).map(publicClient) };
  });
  router.post('/clients', manageSystem, async (ctx) => {
    const { body } = newClientRequest(ctx);
    const { client, secret } = await createClient(
      clients,
      caller(ctx),
      {
        name: body.name,
        grant: body.grant,
        redirectUris: body.redirect_uris,
        postLogoutRedirectUris: body.post_logout_redirect_uris,
        public: body.public ?? false,
        firstParty: body.first_party ?? false,
        permissions: body.permissions,
        resourceServer: body.resource_server ?? false,
      },
      origin(ctx),
    );
    ctx.status = 201;
    ctx.body = { ...publicClient(client), ...(secret ? { client_secret: secret } : {}) };
  });
  router.patch('/clients/:id', manageSystem, async (ctx) => {
    const { params, body } = clientPatchRequest(ctx);
    const client = await updateClient(
      clients,
      caller(ctx),
      params.id,
      {
        name: body.name,
        redirectUris: body.redirect_uris,
        postLogoutRedirectUris: body.post_logout_redirect_uris,
        firstParty: body.first_party,
        permissions: body.permissions,
        resourceServer: body.resource_server,
      },
      origin(ctx),
    );
    ctx.body = publicClient(client);
  });
  router.delete('/clients/:id', manageSystem, async (ctx) => {
    await deleteClient(clients, caller(ctx), idRequest(ctx).params.id, origin(ctx));
    ctx.status = 204;
  });
  router.post('/clients/:id/secret', manageSystem, async (ctx) => {
    const { client, secret } = await resetClientSecret(clients, caller(ctx), idRequest(ctx).params.id, origin(ctx));
    ctx.body = { ...publicClient(client), client_secret: secret };
  });

  // API keys
  router.get('/api-keys', manageSystem, async (ctx) => {
    const rows = await listApiKeys(db, listApiKeysRequest(ctx).query.user_id);
    ctx.body = { api_keys: rows.map((k) => ({ ...publicApiKey(k), user_id: k.user_id })) };
  });
  router.delete('/api-keys/:id', manageSystem, async (ctx) => {
    await revokeApiKey(db, idRequest(ctx).params.id, caller(ctx).actor);
    ctx.status = 204;
  });

  // signing keys
  router.get('/keys', manageSystem, async (ctx) => {
    ctx.body = { keys: await listSigningKeys(db, config.auth.jwt.algorithm) };
  });
  router.post('/keys/rotate', manageSystem, async (ctx) => {
    const { keys, added } = await rotateSigningKeys({ db, auth: config.auth, kek: deps.keyEncryptionKey }, caller(ctx).actor, origin(ctx));
    await deps.onKeysRotated();
    ctx.body = { added: added.map(({ kid, alg }) => ({ kid, alg })), keys };
  });

  // audit log
  router.get('/audit-events', manageSystem, async (ctx) => {
    const { user_id, client_id, since, until, ...query } = auditEventsRequest(ctx).query;
    const instant = (text: string | undefined) => (text === undefined ? undefined : parseTimestamp(text));
    ctx.body = { events: await listAuditEvents(db, { ...query, userId: user_id, clientId: client_id, since: instant(since), until: instant(until) }) };
  });

  // mail
  router.get('/outbox', manageSystem, async (ctx) => {
    ctx.body = { mails: await listOutbox(db, outboxRequest(ctx).query) };
  });

  return router;
}

function publicClient(client: ClientRow) {
  return {
    client_id: client.client_id,
    client_name: client.client_name,
    grant_types: client.metadata.grant_types,
    redirect_uris: client.metadata.redirect_uris,
    post_logout_redirect_uris: client.metadata.post_logout_redirect_uris,
    token_endpoint_auth_method: client.metadata.token_endpoint_auth_method,
    first_party: client.first_party,
    permissions: client.permissions,
    resource_server: client.resource_server,
    created_at: client.created_at.toISOString(),
    updated_at: client.updated_at.toISOString(),
  };
}
