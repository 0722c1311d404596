import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type Configuration } from 'oidc-provider';
import { API_RESOURCE, REDIRECT_URI } from '../settings.js';
import { BARE_CLIENTS, CODE_VERIFIER } from './bare-clients.js';
import { MapAdapter, storedEntries } from './map-adapter.js';

/**
 * The anchor: the same installed oidc-provider, configured as plainly as it goes for the same job — static
 * clients, an in-memory Map adapter, ES256 JWT access tokens for one resource (resourceIndicators), RS256 ID
 * tokens, rotating refresh tokens, static claims (no database anywhere). Runs in its own process.
 * /bench/seed makes refresh tokens and authorization codes directly through the provider's models, as a
 * login would have left them, so the load generator can redeem each once.
 */

const USER_SCOPE = 'openid email roles offline_access';
const USER_PERMISSIONS = ['read', 'chat', 'save_progress'];

async function privateJwk(alg: 'ES256' | 'RS256') {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
  return { ...(await exportJWK(privateKey)), kid: `bare-${alg.toLowerCase()}`, alg, use: 'sig' };
}

async function main(): Promise<void> {
  const port = Number(process.env.PORT);
  const issuer = process.env.ISSUER ?? `http://127.0.0.1:${port}`;
  const configuration: Configuration = {
    adapter: MapAdapter,
    clients: [
      {
        client_id: BARE_CLIENTS.machine.id,
        client_secret: BARE_CLIENTS.machine.secret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      },
      {
        client_id: BARE_CLIENTS.app.id,
        client_secret: BARE_CLIENTS.app.secret,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [REDIRECT_URI],
      },
      { client_id: BARE_CLIENTS.publicClient.id, token_endpoint_auth_method: 'none', grant_types: ['refresh_token'], response_types: [], redirect_uris: [] },
    ],
    jwks: { keys: [await privateJwk('ES256'), await privateJwk('RS256')] } as Configuration['jwks'],
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, email: `${sub}@bench.example`, email_verified: true, roles: ['student'], permissions: USER_PERMISSIONS }),
    }),
    claims: { openid: ['sub'], email: ['email', 'email_verified'], roles: ['roles', 'permissions'] },
    scopes: ['openid', 'offline_access', 'email', 'roles'],
    responseTypes: ['code'],
    pkce: { required: () => true },
    clientDefaults: { id_token_signed_response_alg: 'RS256', grant_types: ['authorization_code'], response_types: ['code'] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'read write chat save_progress',
          audience: API_RESOURCE,
          accessTokenTTL: 1800,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
    // the same claims our tokens carry, as constants
    extraTokenClaims: async (_ctx, token) =>
      (token as { accountId?: string }).accountId ? { roles: ['student'], permissions: USER_PERMISSIONS } : { roles: [], permissions: ['read', 'write'] },
    ttl: { AccessToken: 1800, ClientCredentials: 1800, AuthorizationCode: 60, IdToken: 3600, RefreshToken: 7 * 86_400, Grant: 7 * 86_400 + 3600 },
    rotateRefreshToken: true,
    expiresWithSession: async () => false,
    cookies: { keys: [randomBytes(32).toString('base64url')] },
  };
  const provider = new Provider(issuer, configuration);
  const handle = provider.callback();

  async function seed(kind: string, count: number): Promise<unknown[]> {
    const out: unknown[] = [];
    for (let i = 0; i < count; i++) {
      const accountId = `user-${i % 50}`;
      const clientId = kind === 'refresh' ? BARE_CLIENTS.publicClient.id : BARE_CLIENTS.app.id;
      const client = (await provider.Client.find(clientId))!;
      const grant = new provider.Grant({ accountId, clientId });
      grant.addOIDCScope(USER_SCOPE);
      grant.addResourceScope(API_RESOURCE, USER_PERMISSIONS.join(' '));
      const grantId = await grant.save();
      if (kind === 'refresh') {
        const rt = new provider.RefreshToken({
          accountId,
          client,
          grantId,
          gty: 'authorization_code',
          scope: USER_SCOPE,
          resource: API_RESOURCE,
          rotations: 0,
          expiresWithSession: false,
        } as never);
        out.push(await rt.save());
      } else {
        const code = new provider.AuthorizationCode({
          accountId,
          client,
          grantId,
          scope: USER_SCOPE,
          resource: API_RESOURCE,
          redirectUri: REDIRECT_URI,
          authTime: Math.floor(Date.now() / 1000),
          codeChallenge: createHash('sha256').update(CODE_VERIFIER).digest('base64url'),
          codeChallengeMethod: 'S256',
          expiresWithSession: false,
        } as never);
        out.push({ code: await code.save(), verifier: CODE_VERIFIER });
      }
    }
    return out;
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/bench/ready' || url.pathname === '/bench/seed' || url.pathname === '/bench/stats') {
      const answer = async () => {
        if (url.pathname === '/bench/seed') return seed(url.searchParams.get('kind') ?? 'refresh', Number(url.searchParams.get('n') ?? 1));
        if (url.pathname === '/bench/stats') return { entries: storedEntries() };
        return { ready: true };
      };
      answer().then(
        (body) => res.setHeader('content-type', 'application/json').end(JSON.stringify(body)),
        (error: Error) => res.writeHead(500).end(String(error.stack)),
      );
      return;
    }
    void handle(req, res);
  });
  server.keepAliveTimeout = 65_000;
  server.listen(port, '127.0.0.1');
  process.once('SIGTERM', () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}

main().catch((error) => {
  process.stderr.write(`bare anchor: ${(error as Error).stack}\n`);
  process.exit(1);
});
