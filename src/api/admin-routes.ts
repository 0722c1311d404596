import Router from '@koa/router';
import type { Context } from 'koa';
import type { Knex } from 'knex';
import { getUser, listAccounts, publicUser, type AccountsContext } from '../accounts/accounts-service.js';
import { createUserAs, endUserSessionsAs, updateUserAs } from '../accounts/user-administration.js';
import { listApiKeys, publicApiKey, revokeApiKey } from '../apikeys/api-keys-service.js';
import type { ChangeOrigin } from '../audit/actor.js';
import { listAuditEvents, recordAudit } from '../audit/audit-log.js';
import { createClient, deleteClient, listClients, resetClientSecret, updateClient, type ClientGrant, type ClientRow, type ClientsContext } from '../clients/clients-service.js';
import type { Config } from '../config/types.js';
import { AuthConnectError } from '../errors.js';
import { describeKeys, rotateKeyFile } from '../keys/key-admin.js';
import { readKeySet } from '../keys/key-set-file.js';
import { MANAGE_SYSTEM, MANAGE_USERS } from '../rbac/management-permissions.js';
import { authenticate, type AccessTokenVerifier } from '@auth-connect/resource-server';
import { endSessions, listAllSessions, listSessions, publicSession } from '../sessions/sessions-service.js';
import { adminBodies } from './description/admin-api.js';
import { jsonBody } from './json-body.js';
import { managementCaller, requires, type ManagementState } from './management-access.js';
import { refuseUnstorableInput } from './storable-input.js';
import { isUuid } from '../input/uuid.js';
import { dateParam, integerParam, textParam, uuidParam } from './query-params.js';
import { bodyValidator } from './validate-body.js';

export interface AdminRoutesDeps {
  db: Knex;
  config: Config;
  verifier: AccessTokenVerifier;
  /** The registered client a token was issued to (static or from the database). */
  findClient: (clientId: string) => Promise<object | undefined>;
  /** Applies a key rotation to the running server at once (other instances follow the key file). */
  onKeysRotated: () => void;
}

const newUserBody = bodyValidator(adminBodies.newUser);
const userPatchBody = bodyValidator(adminBodies.userPatch);
const newClientBody = bodyValidator(adminBodies.newClient);
const clientPatchBody = bodyValidator(adminBodies.clientPatch);

const caller = (ctx: Context) => (ctx.state as ManagementState).caller;
const origin = (ctx: Context): ChangeOrigin => ({ via: 'admin_api', ip: ctx.ip, userAgent: ctx.get('user-agent') || null });

/**
 * /api/admin/*, by permission (never by role name): manage_users for users and sessions, manage_system
 * for clients, API keys, signing keys and the audit log. Callers are users of first-party apps and machine
 * clients registered with those permissions (management-access.ts); what a caller may do to another user
 * is bounded by its own permissions (accounts/user-administration.ts). Every change is audited with its actor.
 */
export function adminRoutes(deps: AdminRoutesDeps): Router {
  const { db, config } = deps;
  const accounts: AccountsContext = { db, config };
  const clients: ClientsContext = { db, roles: config.roles };
  const router = new Router({ prefix: '/api/admin' });
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
    const { users, total } = await listAccounts(accounts, { search: textParam(ctx, 'search'), role: textParam(ctx, 'role', 64), limit: integerParam(ctx, 'limit', 50, 1, 500), offset: integerParam(ctx, 'offset', 0, 0, 1_000_000_000) });
    ctx.body = { total, users: users.map(publicUser) };
  });
  router.get('/users/:id', manageUsers, async (ctx) => {
    ctx.body = publicUser(await getUser(accounts, ctx.params.id!));
  });
  router.post('/users', manageUsers, async (ctx) => {
    const user = await createUserAs(accounts, caller(ctx), newUserBody(ctx), origin(ctx));
    ctx.status = 201;
    ctx.body = publicUser(user);
  });
  router.patch('/users/:id', manageUsers, async (ctx) => {
    const body = userPatchBody(ctx);
    ctx.body = publicUser(await updateUserAs(accounts, caller(ctx), ctx.params.id!, body, origin(ctx)));
  });
  router.delete('/users/:id/sessions', manageUsers, async (ctx) => {
    ctx.body = { sessions_ended: await endUserSessionsAs(accounts, caller(ctx), ctx.params.id!, origin(ctx)) };
  });

  // sessions
  router.get('/sessions', manageUsers, async (ctx) => {
    const userId = uuidParam(ctx, 'user_id');
    const rows = userId ? await listSessions(accounts, userId) : await listAllSessions(accounts, { limit: integerParam(ctx, 'limit', 50, 1, 500), offset: integerParam(ctx, 'offset', 0, 0, 1_000_000_000) });
    ctx.body = { sessions: rows.map((s) => ({ ...publicSession(s), user_id: s.user_id })) };
  });
  router.delete('/sessions/:id', manageUsers, async (ctx) => {
    const id = ctx.params.id!;
    const ended = isUuid(id) ? await endSessions(accounts, { kind: 'one', sessionId: id }, 'ended_by_admin', caller(ctx).actor) : [];
    if (!ended.length) throw new AuthConnectError('SESSION_NOT_FOUND', 'no such active session', 404);
    ctx.status = 204;
  });

  // clients
  router.get('/clients', manageSystem, async (ctx) => {
    ctx.body = { clients: (await listClients(db)).map(publicClient) };
  });
  router.post('/clients', manageSystem, async (ctx) => {
    const body = newClientBody(ctx);
    const { client, secret } = await createClient(clients, caller(ctx), {
      name: body.name, grant: body.grant, redirectUris: body.redirect_uris, postLogoutRedirectUris: body.post_logout_redirect_uris,
      public: body.public ?? false, firstParty: body.first_party ?? false, permissions: body.permissions, resourceServer: body.resource_server ?? false,
    }, origin(ctx));
    ctx.status = 201;
    ctx.body = { ...publicClient(client), ...(secret ? { client_secret: secret } : {}) };
  });
  router.patch('/clients/:id', manageSystem, async (ctx) => {
    const body = clientPatchBody(ctx);
    const client = await updateClient(clients, caller(ctx), ctx.params.id!, {
      name: body.name, redirectUris: body.redirect_uris, postLogoutRedirectUris: body.post_logout_redirect_uris, firstParty: body.first_party, permissions: body.permissions, resourceServer: body.resource_server,
    }, origin(ctx));
    ctx.body = publicClient(client);
  });
  router.delete('/clients/:id', manageSystem, async (ctx) => {
    await deleteClient(clients, caller(ctx), ctx.params.id!, origin(ctx));
    ctx.status = 204;
  });
  router.post('/clients/:id/secret', manageSystem, async (ctx) => {
    const { client, secret } = await resetClientSecret(clients, caller(ctx), ctx.params.id!, origin(ctx));
    ctx.body = { ...publicClient(client), client_secret: secret };
  });

  // API keys
  router.get('/api-keys', manageSystem, async (ctx) => {
    const rows = await listApiKeys(db, uuidParam(ctx, 'user_id'));
    ctx.body = { api_keys: rows.map((k) => ({ ...publicApiKey(k), user_id: k.user_id })) };
  });
  router.delete('/api-keys/:id', manageSystem, async (ctx) => {
    await revokeApiKey(db, ctx.params.id!, caller(ctx).actor);
    ctx.status = 204;
  });

  // signing keys
  router.get('/keys', manageSystem, (ctx) => {
    const set = readKeySet(config.runtime.keysDir);
    ctx.body = { keys: set ? describeKeys(set, config.auth.jwt.algorithm) : [] };
  });
  router.post('/keys/rotate', manageSystem, async (ctx) => {
    const { set, added } = await rotateKeyFile(config.runtime.keysDir, config.auth);
    deps.onKeysRotated();
    const { via, ip, userAgent } = origin(ctx);
    await recordAudit(db, { event: 'keys.rotated', actor: caller(ctx).actor, ip, userAgent, details: { via, added: added.map(({ kid, alg }) => ({ kid, alg })) } });
    ctx.body = { added: added.map(({ kid, alg }) => ({ kid, alg })), keys: describeKeys(set, config.auth.jwt.algorithm) };
  });

  // audit log
  router.get('/audit-events', manageSystem, async (ctx) => {
    const outcome = textParam(ctx, 'outcome', 10);
    if (outcome !== undefined && outcome !== 'success' && outcome !== 'failure') throw new AuthConnectError('INVALID_REQUEST', 'outcome must be success or failure', 400);
    ctx.body = {
      events: await listAuditEvents(db, {
        event: textParam(ctx, 'event', 64), userId: uuidParam(ctx, 'user_id'), clientId: textParam(ctx, 'client_id', 128), outcome,
        since: dateParam(ctx, 'since'), until: dateParam(ctx, 'until'), limit: integerParam(ctx, 'limit', 100, 1, 1000), offset: integerParam(ctx, 'offset', 0, 0, 1_000_000_000),
      }),
    };
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
