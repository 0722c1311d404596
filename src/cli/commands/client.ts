import { createClient, deleteClient, listClients, type ClientGrant } from '../../clients/clients-service.js';
import { hashClientSecret } from '../../clients/client-secret.js';
import { CLI_CALLER } from '../../rbac/caller.js';
import { UsageError, type Command } from '../command.js';
import { formatTable } from '../format-table.js';
import { readStdinSecret } from '../read-secret.js';

const GRANTS: ClientGrant[] = ['client_credentials', 'authorization_code', 'device_code'];

export const clientCreate: Command = {
  name: 'client create',
  summary: 'register a client; prints its client_id and, once, its secret',
  usage:
    '--name N --grant client_credentials|authorization_code|device_code [--redirect-uri U ...] [--post-logout-redirect-uri U ...] [--public] [--first-party] [--permissions a,b] [--resource-server]',
  options: {
    name: { type: 'string' },
    grant: { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    'post-logout-redirect-uri': { type: 'string', multiple: true },
    public: { type: 'boolean' },
    'first-party': { type: 'boolean' },
    permissions: { type: 'string' },
    'resource-server': { type: 'boolean' },
  },
  async run(ctx, options) {
    if (typeof options.name !== 'string') throw new UsageError('--name is required');
    const grant = options.grant as ClientGrant | undefined;
    if (!grant || !GRANTS.includes(grant))
      throw new UsageError(`--grant must be ${GRANTS.join(', ')}${options.grant ? ` (got ${String(options.grant)})` : ''}`);
    const { db } = await ctx.accounts();
    const { client, secret } = await createClient(
      { db, roles: ctx.config.roles },
      CLI_CALLER,
      {
        name: options.name,
        grant,
        redirectUris: options['redirect-uri'] as string[] | undefined,
        postLogoutRedirectUris: options['post-logout-redirect-uri'] as string[] | undefined,
        public: options.public === true,
        firstParty: options['first-party'] === true,
        permissions:
          typeof options.permissions === 'string'
            ? options.permissions
                .split(',')
                .map((p) => p.trim())
                .filter(Boolean)
            : undefined,
        resourceServer: options['resource-server'] === true,
      },
      { via: 'cli' },
    );
    ctx.print(
      [
        `client_id:     ${client.client_id}`,
        ...(secret
          ? [`client_secret: ${secret}`, '(the secret is shown only now; store it safely)']
          : [grant === 'device_code' ? 'public client: no secret' : 'public client: no secret; use PKCE']),
      ],
      {
        client_id: client.client_id,
        client_secret: secret,
        client_name: client.client_name,
        grant_types: client.metadata.grant_types,
        first_party: client.first_party,
        permissions: client.permissions,
        resource_server: client.resource_server,
      },
    );
  },
};

export const clientList: Command = {
  name: 'client list',
  summary: 'list the clients registered in the database (clients.json ones are in the file)',
  async run(ctx) {
    const { db } = await ctx.accounts();
    const clients = await listClients(db);
    const shown = clients.map((c) => ({
      client_id: c.client_id,
      client_name: c.client_name,
      grant_types: c.metadata.grant_types as string[],
      redirect_uris: c.metadata.redirect_uris as string[],
      public: c.secret_hash === null,
      first_party: c.first_party,
      permissions: c.permissions,
      resource_server: c.resource_server,
      created_at: c.created_at.toISOString(),
    }));
    ctx.print(
      shown.length
        ? formatTable(
            ['CLIENT_ID', 'NAME', 'GRANTS', 'TYPE', 'PERMISSIONS'],
            shown.map((c) => [
              c.client_id,
              c.client_name,
              c.grant_types.join(','),
              c.public ? 'public' : c.first_party ? 'first-party' : 'confidential',
              c.permissions.join(','),
            ]),
          )
        : 'no clients',
      { clients: shown },
    );
  },
};

export const clientDelete: Command = {
  name: 'client delete',
  summary: 'delete a client; its tokens stop working at their next use',
  usage: 'CLIENT_ID',
  positionals: { min: 1, max: 1, names: 'CLIENT_ID' },
  async run(ctx, _options, [clientId]) {
    const { db } = await ctx.accounts();
    await deleteClient({ db, roles: ctx.config.roles }, CLI_CALLER, clientId!, { via: 'cli' });
    ctx.print(`deleted client ${clientId}`, { deleted: clientId });
  },
};

export const clientHashSecret: Command = {
  name: 'client hash-secret',
  summary: 'print the client_secret_hash of a secret read from standard input, for clients.json',
  async run(ctx) {
    const secret = await readStdinSecret(ctx.io);
    if (secret.length < 32) throw new UsageError('a client secret must be at least 32 characters; generate one with: openssl rand -base64 32');
    const hash = hashClientSecret(secret);
    ctx.print(hash, { client_secret_hash: hash });
  },
};
