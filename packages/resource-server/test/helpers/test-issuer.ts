import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

export const API_AUDIENCE = 'https://api.test.example';

export interface SigningKey {
  kid: string;
  alg: 'ES256' | 'RS256';
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

export interface SignOptions {
  key?: SigningKey;
  /** Header overrides (typ, kid, alg…); `undefined` removes a header parameter. */
  header?: Record<string, unknown>;
  /** Seconds from now; default 300. */
  expiresIn?: number;
}

/** The roles and permissions of config/roles.json, as the issuer puts them into access tokens. */
export const ROLE_PERMISSIONS: Record<string, string[]> = {
  admin: ['read', 'write', 'delete', 'manage_users', 'manage_content'],
  instructor: ['read', 'write', 'manage_content'],
  student: ['read', 'chat', 'save_progress'],
  guest: ['read'],
};

/**
 * A tiny real issuer on 127.0.0.1: serves the discovery document and the JWKS, signs tokens with jose,
 * and counts requests so tests can see what the verifier fetched.
 */
export class TestIssuer {
  readonly requests = { discovery: 0, jwks: 0 };
  /** Answer the discovery document with this status instead (e.g. 503); undefined serves it. */
  discoveryStatus: number | undefined;
  /** Answer the JWKS with this status instead; undefined serves it. */
  jwksStatus: number | undefined;
  /** Overrides the issuer named in the discovery document. */
  announcedIssuer: string | undefined;
  published: SigningKey[];

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly es256: SigningKey,
    readonly rs256: SigningKey,
  ) {
    this.published = [es256, rs256];
  }

  static async start(): Promise<TestIssuer> {
    const [es256, rs256] = await Promise.all([makeKey('ES256', 'es-1'), makeKey('RS256', 'rs-1')]);
    let issuer: TestIssuer | undefined;
    const server = createServer((req, res) => issuer!.handle(req.url ?? '', res));
    const port = await listen(server);
    issuer = new TestIssuer(server, `http://127.0.0.1:${port}`, es256, rs256);
    return issuer;
  }

  get jwksUri(): string {
    return `${this.url}/jwks`;
  }

  /** Signs an access token; the claims given replace (or, as undefined, remove) the defaults. */
  async sign(claims: Record<string, unknown> = {}, options: SignOptions = {}): Promise<string> {
    const key = options.key ?? this.es256;
    const now = Math.floor(Date.now() / 1000);
    const payload: Record<string, unknown> = {
      iss: this.url,
      aud: API_AUDIENCE,
      sub: 'user-1',
      client_id: 'test-app',
      scope: 'openid read',
      roles: ['guest'],
      permissions: ['read'],
      iat: now,
      exp: now + (options.expiresIn ?? 300),
      ...claims,
    };
    for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
    const header: Record<string, unknown> = { alg: key.alg, typ: 'at+jwt', kid: key.kid, ...options.header };
    for (const [name, value] of Object.entries(header)) if (value === undefined) delete header[name];
    return new SignJWT(payload as JWTPayload).setProtectedHeader(header as { alg: string }).sign(key.privateKey);
  }

  /** An access token for a user of `role`, with that role's permissions. */
  tokenFor(role: string): Promise<string> {
    return this.sign({ sub: `${role}-user`, roles: [role], permissions: ROLE_PERMISSIONS[role] ?? [] });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(path: string, res: ServerResponse): void {
    if (path === '/.well-known/openid-configuration') {
      this.requests.discovery++;
      if (this.discoveryStatus !== undefined) reply(res, this.discoveryStatus, { error: 'unavailable' });
      else reply(res, 200, { issuer: this.announcedIssuer ?? this.url, jwks_uri: this.jwksUri, id_token_signing_alg_values_supported: ['RS256', 'ES256'] });
      return;
    }
    if (path === '/jwks') {
      this.requests.jwks++;
      if (this.jwksStatus !== undefined) reply(res, this.jwksStatus, { error: 'unavailable' });
      else reply(res, 200, { keys: this.published.map((key) => key.publicJwk) });
      return;
    }
    reply(res, 404, { error: 'not_found' });
  }
}

export async function makeKey(alg: 'ES256' | 'RS256', kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicKey, publicJwk };
}

/** An address where nothing listens: a port that was just free. */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

export async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
