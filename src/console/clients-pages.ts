import type Router from '@koa/router';
import type { Context } from 'koa';
import {
  createClient,
  deleteClient,
  listClients,
  resetClientSecret,
  updateClient,
  type ClientGrant,
  type ClientRow,
  type ClientsContext,
} from '../clients/clients-service.js';
import { ClientNotFoundError, InvalidClientInputError } from '../clients/clients-service.js';
import { MANAGE_SYSTEM } from '../rbac/management-permissions.js';
import { allPermissions } from '../rbac/roles.js';
import { consoleOrigin, day, field, fields, formBody, lines, seeOther, type consolePages } from './console-page.js';
import type { ConsoleState } from './console-sign-in.js';

const GRANTS: ClientGrant[] = ['authorization_code', 'client_credentials', 'device_code'];

/**
 * Clients: list, create (the secret is shown on the answer to the form, once: only its hash is kept),
 * edit, rotate the secret, delete. The clients service checks URIs and that the operator holds every
 * permission given to a client, as for the admin API.
 */
export function clientsPages(router: Router<ConsoleState>, pages: ReturnType<typeof consolePages>, clients: ClientsContext) {
  const { render, needs, changes, state } = pages;
  const permissions = allPermissions(clients.roles);
  const view = (c: ClientRow) => ({
    id: c.client_id,
    name: c.client_name,
    grants: (c.metadata.grant_types as string[]).join(', '),
    redirectUris: (c.metadata.redirect_uris as string[] | undefined) ?? [],
    postLogoutUris: (c.metadata.post_logout_redirect_uris as string[] | undefined) ?? [],
    public: c.metadata.token_endpoint_auth_method === 'none',
    firstParty: c.first_party,
    permissions: c.permissions,
    created: day(c.created_at),
  });
  const find = async (ctx: Context) => {
    const client = (await listClients(clients.db)).find((c) => c.client_id === ctx.params.id);
    if (!client) throw new ClientNotFoundError(String(ctx.params.id).slice(0, 64));
    return client;
  };

  router.get('/clients', needs(MANAGE_SYSTEM), async (ctx) => {
    render(ctx, 'console-clients', (tr) => tr.t('console.clients.title'), { clients: (await listClients(clients.db)).map(view), grants: GRANTS, permissions });
  });

  router.post('/clients', needs(MANAGE_SYSTEM), ...changes, async (ctx) => {
    const body = formBody(ctx);
    const grant = GRANTS.find((g) => g === field(body, 'grant'));
    if (!grant) throw new InvalidClientInputError('choose a grant type');
    const { client, secret } = await createClient(
      clients,
      state(ctx).caller,
      {
        name: field(body, 'name'),
        grant,
        redirectUris: lines(field(body, 'redirect_uris')),
        postLogoutRedirectUris: lines(field(body, 'post_logout_redirect_uris')),
        public: field(body, 'public') === 'on',
        firstParty: field(body, 'first_party') === 'on',
        permissions: fields(body, 'permissions'),
      },
      consoleOrigin(ctx),
    );
    // shown on this answer only (no-store): a reload asks to send the form again rather than showing it twice
    render(ctx, 'console-client-secret', (tr) => tr.t('console.secret.title'), { client: view(client), secret, scripts: ['/assets/console.js'] }, 201);
  });

  router.get('/clients/:id', needs(MANAGE_SYSTEM), async (ctx) => {
    const client = await find(ctx);
    render(ctx, 'console-client', (tr) => tr.t('console.client.title', { name: client.client_name }), { client: view(client), permissions });
  });

  router.post('/clients/:id', needs(MANAGE_SYSTEM), ...changes, async (ctx) => {
    const client = await find(ctx);
    const body = formBody(ctx);
    const usesRedirects = (client.metadata.grant_types as string[]).includes('authorization_code');
    await updateClient(
      clients,
      state(ctx).caller,
      client.client_id,
      {
        name: field(body, 'name'),
        ...(usesRedirects
          ? { redirectUris: lines(field(body, 'redirect_uris')), postLogoutRedirectUris: lines(field(body, 'post_logout_redirect_uris')) }
          : {}),
        firstParty: field(body, 'first_party') === 'on',
        permissions: fields(body, 'permissions'),
      },
      consoleOrigin(ctx),
    );
    seeOther(ctx, `/console/clients/${client.client_id}`, 'saved');
  });

  router.post('/clients/:id/secret', needs(MANAGE_SYSTEM), ...changes, async (ctx) => {
    const { client, secret } = await resetClientSecret(clients, state(ctx).caller, (await find(ctx)).client_id, consoleOrigin(ctx));
    render(ctx, 'console-client-secret', (tr) => tr.t('console.secret.title'), {
      client: view(client),
      secret,
      rotated: true,
      scripts: ['/assets/console.js'],
    });
  });

  router.post('/clients/:id/delete', needs(MANAGE_SYSTEM), ...changes, async (ctx) => {
    await deleteClient(clients, state(ctx).caller, (await find(ctx)).client_id, consoleOrigin(ctx));
    seeOther(ctx, '/console/clients', 'deleted');
  });
}
