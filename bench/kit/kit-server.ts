import { createServer } from 'node:http';
import Router from '@koa/router';
import { createLocalJWKSet, jwtVerify, type JWK } from 'jose';
import Koa from 'koa';
import { authenticate, createVerifier, requirePermission } from '@auth-connect/resource-server';

/**
 * An API built on the resource-server kit, for the kit rows: one Koa app, three routes answering the same
 * small JSON, so the only difference between them is how the request is authorised.
 *   GET /unprotected  nothing
 *   GET /protected    createVerifier + authenticate + requirePermission('read') — the kit as the README shows it
 *   GET /jwt-verify   jose jwtVerify alone with the kit's verify options (no cache, no claim parsing)
 * Keys: the public JWK in KIT_PUBLIC_JWK as a local key set for both (the kit would fetch and cache a remote
 * JWKS; after the first fetch that is the same local set).
 */
const port = Number(process.env.PORT);
const issuer = process.env.KIT_ISSUER!;
const audience = process.env.KIT_AUDIENCE!;
const keySet = createLocalJWKSet({ keys: [JSON.parse(process.env.KIT_PUBLIC_JWK!) as JWK] });

const verifier = createVerifier({ issuer, audience, keySet });
const plainOptions = {
  issuer,
  audience,
  algorithms: ['ES256', 'RS256', 'PS256', 'EdDSA'],
  clockTolerance: 30,
  typ: 'at+jwt',
  requiredClaims: ['exp', 'sub', 'client_id'],
};

const app = new Koa();
const router = new Router();
router.get('/ready', (ctx) => {
  ctx.body = { ready: true };
});
router.get('/unprotected', (ctx) => {
  ctx.body = { ok: true };
});
router.get('/protected', authenticate(verifier), requirePermission('read'), (ctx) => {
  ctx.body = { ok: true };
});
router.get('/jwt-verify', async (ctx) => {
  const header = ctx.get('authorization');
  const token = header.startsWith('Bearer ') ? header.slice(7) : '';
  try {
    await jwtVerify(token, keySet, plainOptions);
  } catch {
    ctx.status = 401;
    ctx.body = { error: 'invalid_token' };
    return;
  }
  ctx.body = { ok: true };
});
app.use(router.routes());

const server = createServer(app.callback());
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1');
process.once('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
