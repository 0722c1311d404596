import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import Koa from 'koa';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { authenticate, createVerifier, expressAuthenticate, type AuthState, type AuthenticatedRequest } from '../src/index.js';
import { dpopProof, makeDpopKey, type DpopKey } from './helpers/dpop-proofs.js';
import { API_AUDIENCE, listen, TestIssuer } from './helpers/test-issuer.js';

const REALM = 'dpop-api';
const PUBLIC_ORIGIN = 'https://api.example.test';

type Start = (issuer: TestIssuer, origin?: string) => Promise<{ url: string; server: Server }>;

/** A Koa API: GET/POST /notes behind authenticate(). */
const koaApi: Start = async (issuer, origin) => {
  const app = new Koa<AuthState>();
  const guard = authenticate(createVerifier({ issuer: issuer.url, audience: API_AUDIENCE }), { realm: REALM, origin });
  app.use(guard);
  app.use((ctx) => {
    ctx.body = { sub: ctx.state.auth.sub };
  });
  const server = createServer(app.callback());
  return { url: `http://127.0.0.1:${await listen(server)}`, server };
};

/** The same API on Node's http with the Express-style middleware. */
const nodeApi: Start = async (issuer, origin) => {
  const guard = expressAuthenticate(createVerifier({ issuer: issuer.url, audience: API_AUDIENCE }), { realm: REALM, origin });
  const server = createServer((req, res) => {
    guard(req as AuthenticatedRequest, res, () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ sub: (req as AuthenticatedRequest).auth!.sub }));
    });
  });
  return { url: `http://127.0.0.1:${await listen(server)}`, server };
};

for (const [name, start] of [
  ['Koa', koaApi],
  ['Node', nodeApi],
] as const) {
  describe(`resource-server kit: DPoP-bound access tokens (RFC 9449 §7) with the ${name} middleware`, () => {
    let issuer: TestIssuer;
    let api: { url: string; server: Server };
    let key: DpopKey;
    let bound: string;

    before(async () => {
      issuer = await TestIssuer.start();
      api = await start(issuer);
      key = await makeDpopKey();
      bound = await issuer.sign({ cnf: { jkt: key.jkt } });
    });
    after(async () => {
      api.server.closeAllConnections();
      api.server.close();
      await issuer.close();
    });

    /** A request over node:http, which (unlike fetch) can send a header twice, as the kit must be able to see. */
    const call = (path: string, headers: Record<string, string | string[]>, method = 'GET') =>
      new Promise<{ status: number; challenge: string; body: Record<string, unknown> }>((resolve, reject) => {
        const url = new URL(path, api.url);
        const raw = ['host', url.host];
        for (const [header, value] of Object.entries(headers)) for (const v of [value].flat()) raw.push(header, v);
        const req = request(url, { method, headers: raw }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              challenge: String(res.headers['www-authenticate'] ?? ''),
              body: JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown>,
            }),
          );
        });
        req.on('error', reject);
        req.end();
      });
    const proofFor = (options: Partial<Parameters<typeof dpopProof>[1]> = {}, proofKey = key) =>
      dpopProof(proofKey, { url: `${api.url}/notes`, accessToken: bound, ...options });

    it('accepts a bound token with the DPoP scheme and a proof for this request', async () => {
      const response = await call('/notes', { authorization: `DPoP ${bound}`, dpop: await proofFor() });
      assert.equal(response.status, 200, JSON.stringify(response));
      assert.deepEqual(response.body, { sub: 'user-1' });
      const post = await call('/notes?page=2', { authorization: `dpop ${bound}`, dpop: await proofFor({ method: 'POST' }) }, 'POST');
      assert.equal(post.status, 200, 'the scheme is case-insensitive and the query is not part of htu');
    });

    it('refuses a bound token sent as a bearer token, with a DPoP challenge and invalid_token', async () => {
      const response = await call('/notes', { authorization: `Bearer ${bound}`, dpop: await proofFor() });
      assert.equal(response.status, 401);
      assert.match(response.challenge, new RegExp(`^DPoP realm="${REALM}", error="invalid_token", error_description="[^"]+", algs="ES256 [^"]+"$`));
      assert.equal(response.body.error, 'INVALID_TOKEN');
    });

    it('refuses a token that is not bound when it comes with the DPoP scheme, and still accepts it as a bearer token', async () => {
      const plain = await issuer.sign();
      const asDpop = await call('/notes', { authorization: `DPoP ${plain}`, dpop: await proofFor({ accessToken: plain }) });
      assert.equal(asDpop.status, 401);
      assert.match(asDpop.challenge, /^DPoP realm="dpop-api", error="invalid_token"/);
      assert.equal((await call('/notes', { authorization: `Bearer ${plain}` })).status, 200);
    });

    const refusals: [string, () => Promise<Record<string, string | string[]>>, 'invalid_dpop_proof' | 'invalid_token'][] = [
      ['no proof', async () => ({ authorization: `DPoP ${bound}` }), 'invalid_dpop_proof'],
      ['two proofs', async () => ({ authorization: `DPoP ${bound}`, dpop: [await proofFor(), await proofFor()] }), 'invalid_dpop_proof'],
      ['a proof for another method', async () => ({ authorization: `DPoP ${bound}`, dpop: await proofFor({ method: 'POST' }) }), 'invalid_dpop_proof'],
      ['a proof for another path', async () => ({ authorization: `DPoP ${bound}`, dpop: await proofFor({ url: `${api.url}/admin` }) }), 'invalid_dpop_proof'],
      [
        'a proof for another host',
        async () => ({ authorization: `DPoP ${bound}`, dpop: await proofFor({ url: 'http://other.example/notes' }) }),
        'invalid_dpop_proof',
      ],
      [
        'a proof for another access token (ath)',
        async () => ({ authorization: `DPoP ${bound}`, dpop: await proofFor({ accessToken: 'another-token' }) }),
        'invalid_dpop_proof',
      ],
      [
        'a proof without ath',
        async () => ({ authorization: `DPoP ${bound}`, dpop: await proofFor({ accessToken: undefined, claims: { ath: undefined } }) }),
        'invalid_dpop_proof',
      ],
      ['a proof made two minutes ago', async () => ({ authorization: `DPoP ${bound}`, dpop: await proofFor({ iatOffset: -120 }) }), 'invalid_dpop_proof'],
      ['a proof dated a minute ahead', async () => ({ authorization: `DPoP ${bound}`, dpop: await proofFor({ iatOffset: 60 }) }), 'invalid_dpop_proof'],
      ['a proof of type JWT', async () => ({ authorization: `DPoP ${bound}`, dpop: await proofFor({ header: { typ: 'JWT' } }) }), 'invalid_dpop_proof'],
      ['a proof without jti', async () => ({ authorization: `DPoP ${bound}`, dpop: await proofFor({ claims: { jti: undefined } }) }), 'invalid_dpop_proof'],
      [
        'a proof signed by another key than the one it carries',
        async () => ({ authorization: `DPoP ${bound}`, dpop: await proofFor({ header: { jwk: (await makeDpopKey()).publicJwk } }) }),
        'invalid_dpop_proof',
      ],
      [
        'a proof by a key the token is not bound to',
        async () => ({ authorization: `DPoP ${bound}`, dpop: await proofFor({}, await makeDpopKey()) }),
        'invalid_token',
      ],
      [
        'a proof carrying its private key',
        async () => {
          const { privateKey } = await generateKeyPair('ES256', { extractable: true });
          const privateJwk = await exportJWK(privateKey);
          const proof = await new SignJWT({ jti: 'jti-with-private-key', htm: 'GET', htu: `${api.url}/notes`, iat: Math.floor(Date.now() / 1000) })
            .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: privateJwk })
            .sign(privateKey);
          return { authorization: `DPoP ${bound}`, dpop: proof };
        },
        'invalid_dpop_proof',
      ],
      [
        'a proof signed with a shared secret (HS256)',
        async () => {
          const proof = await new SignJWT({ jti: 'jti-hs256-proof', htm: 'GET', htu: `${api.url}/notes`, iat: Math.floor(Date.now() / 1000) })
            .setProtectedHeader({ typ: 'dpop+jwt', alg: 'HS256', jwk: (await makeDpopKey()).publicJwk })
            .sign(new TextEncoder().encode('secret-secret-secret-secret-secret'));
          return { authorization: `DPoP ${bound}`, dpop: proof };
        },
        'invalid_dpop_proof',
      ],
    ];
    for (const [what, headers, error] of refusals) {
      it(`refuses a bound token with ${what}: 401 ${error}`, async () => {
        const response = await call('/notes', await headers());
        assert.equal(response.status, 401, JSON.stringify(response));
        assert.match(response.challenge, new RegExp(`^DPoP realm="${REALM}", error="${error}", error_description="[^"]+", algs="[^"]+"$`));
        assert.equal(response.body.error, 'INVALID_TOKEN');
      });
    }

    it('answers a DPoP scheme without a token with a DPoP challenge', async () => {
      const response = await call('/notes', { authorization: 'DPoP', dpop: await proofFor() });
      assert.equal(response.status, 401);
      assert.match(response.challenge, /^DPoP realm="dpop-api", error="invalid_token", error_description="the DPoP access token is malformed"/);
    });

    it('accepts a proof once: the same proof sent again is refused', async () => {
      const proof = await proofFor();
      assert.equal((await call('/notes', { authorization: `DPoP ${bound}`, dpop: proof })).status, 200);
      const replay = await call('/notes', { authorization: `DPoP ${bound}`, dpop: proof });
      assert.equal(replay.status, 401);
      assert.match(replay.challenge, /error="invalid_dpop_proof", error_description="the DPoP proof was used before"/);
    });

    it('checks htu against the configured origin, not the Host the client sent', async () => {
      const behindProxy = await start(issuer, PUBLIC_ORIGIN);
      try {
        const forPublicUrl = await dpopProof(key, { url: `${PUBLIC_ORIGIN}/notes`, accessToken: bound });
        const ok = await fetch(`${behindProxy.url}/notes`, { headers: { authorization: `DPoP ${bound}`, dpop: forPublicUrl } });
        assert.equal(ok.status, 200);
        const forLocalUrl = await dpopProof(key, { url: `${behindProxy.url}/notes`, accessToken: bound });
        const refused = await fetch(`${behindProxy.url}/notes`, { headers: { authorization: `DPoP ${bound}`, dpop: forLocalUrl } });
        assert.equal(refused.status, 401, 'a proof for the address the Host header names is not a proof for this API');
      } finally {
        behindProxy.server.closeAllConnections();
        behindProxy.server.close();
      }
    });
  });
}
