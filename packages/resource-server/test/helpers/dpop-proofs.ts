import { createHash, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/** A client's DPoP key pair, as openid-client or any DPoP client would hold it. */
export interface DpopKey {
  privateKey: CryptoKey;
  publicJwk: JWK;
  /** RFC 7638 thumbprint: what the issuer puts in the token's cnf.jkt. */
  jkt: string;
}

export async function makeDpopKey(alg: 'ES256' | 'RS256' = 'ES256'): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { privateKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk, 'sha256') };
}

export interface ProofOptions {
  method?: string;
  url: string;
  /** The access token the proof accompanies (ath); undefined leaves ath out. */
  accessToken?: string;
  /** Seconds relative to now; default 0. */
  iatOffset?: number;
  jti?: string;
  /** Header overrides; `undefined` removes a parameter. */
  header?: Record<string, unknown>;
  /** Claims overrides; `undefined` removes a claim. */
  claims?: Record<string, unknown>;
}

/** A DPoP proof JWT (RFC 9449 §4.2) signed with `key`, with everything a resource server expects unless overridden. */
export async function dpopProof(key: DpopKey, options: ProofOptions): Promise<string> {
  const payload: Record<string, unknown> = {
    jti: options.jti ?? randomUUID(),
    htm: options.method ?? 'GET',
    htu: options.url,
    iat: Math.floor(Date.now() / 1000) + (options.iatOffset ?? 0),
    ...(options.accessToken === undefined ? {} : { ath: createHash('sha256').update(options.accessToken).digest('base64url') }),
    ...options.claims,
  };
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
  const header: Record<string, unknown> = { typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk, ...options.header };
  for (const [name, value] of Object.entries(header)) if (value === undefined) delete header[name];
  return new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(key.privateKey);
}
