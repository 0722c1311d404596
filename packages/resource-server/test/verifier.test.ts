import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { base64url, exportSPKI, SignJWT } from 'jose';
import { createVerifier, TokenVerificationError, VerifierOptionsError, VerifierUnavailableError, type AccessTokenVerifier } from '../src/index.js';
import { rejectsWithCode } from './helpers/assertions.js';
import { API_AUDIENCE, deadUrl, makeKey, TestIssuer } from './helpers/test-issuer.js';

describe('resource-server verifier', () => {
  let issuer: TestIssuer;
  let verifier: AccessTokenVerifier;

  before(async () => {
    issuer = await TestIssuer.start();
  });
  after(() => issuer.close());
  beforeEach(() => {
    verifier = createVerifier({ issuer: issuer.url, audience: API_AUDIENCE });
  });

  describe('accepts', () => {
    it('a valid ES256 access token, with its claims mapped', async () => {
      const token = await issuer.sign({
        sub: 'u-42',
        client_id: 'web-app',
        scope: 'openid  read write',
        roles: ['instructor'],
        permissions: ['read', 'write', 'manage_content'],
        email: 'ann@example.com',
        locale: 'en',
      });
      const claims = await verifier.verify(token);
      assert.equal(claims.sub, 'u-42');
      assert.equal(claims.clientId, 'web-app');
      assert.deepEqual(claims.scope, ['openid', 'read', 'write']);
      assert.deepEqual(claims.roles, ['instructor']);
      assert.deepEqual(claims.permissions, ['read', 'write', 'manage_content']);
      assert.equal(claims.email, 'ann@example.com');
      assert.equal(claims.expiresAt.getTime(), (claims.payload.exp ?? 0) * 1000);
      assert.equal(claims.payload.locale, 'en');
      assert.equal(claims.payload.iss, issuer.url);
    });

    it('absent roles, permissions, scope and email as empty lists and no email', async () => {
      const claims = await verifier.verify(await issuer.sign({ roles: undefined, permissions: undefined, scope: undefined }));
      assert.deepEqual([claims.roles, claims.permissions, claims.scope], [[], [], []]);
      assert.equal('email' in claims, false);
    });

    it('a token signed with the RS256 key', async () => {
      const claims = await verifier.verify(await issuer.sign({ sub: 'rsa-user' }, { key: issuer.rs256 }));
      assert.equal(claims.sub, 'rsa-user');
    });

    it('typ application/at+jwt in any case', async () => {
      await verifier.verify(await issuer.sign({}, { header: { typ: 'application/AT+JWT' } }));
      await verifier.verify(await issuer.sign({}, { header: { typ: 'AT+JWT' } }));
    });

    it('a token expired less than the clock tolerance ago, and one whose nbf is just ahead', async () => {
      await verifier.verify(await issuer.sign({}, { expiresIn: -10 }));
      await verifier.verify(await issuer.sign({ nbf: Math.floor(Date.now() / 1000) + 10 }));
    });

    it('hands back frozen claims, since cached claims are shared between requests', async () => {
      const claims = await verifier.verify(await issuer.tokenFor('student'));
      assert.throws(() => (claims.roles as string[]).push('admin'), TypeError);
      assert.throws(() => ((claims.payload as { roles: string[] }).roles[0] = 'admin'), TypeError);
    });
  });

  describe('refuses', () => {
    const refuses = async (token: string, code = 'INVALID_TOKEN') => {
      const error = await rejectsWithCode(verifier.verify(token), code);
      assert.ok(error instanceof TokenVerificationError);
      assert.ok(!error.message.includes(token), 'the message never echoes the token');
      return error;
    };

    it('alg none', async () => {
      const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'at+jwt' }));
      const valid = await issuer.sign({ roles: ['admin'] });
      const error = await refuses(`${header}.${valid.split('.')[1]}.`);
      assert.equal(error.message, 'the token is signed with an algorithm this API does not accept');
    });

    it('a token whose signature was stripped', async () => {
      const [header, payload] = (await issuer.sign()).split('.');
      assert.equal((await refuses(`${header}.${payload}.`)).message, 'the token signature is invalid');
      assert.equal((await refuses(`${header}.${payload}`)).message, 'the token is malformed');
    });

    it('an altered payload under the original signature', async () => {
      const [header, payload, signature] = (await issuer.tokenFor('guest')).split('.');
      const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload!))) as Record<string, unknown>;
      const forged = base64url.encode(JSON.stringify({ ...claims, roles: ['admin'], permissions: ['manage_users'] }));
      const error = await refuses(`${header}.${forged}.${signature}`);
      assert.equal(error.message, 'the token signature is invalid');
    });

    it('HS256 signed with the public key bytes (algorithm confusion)', async () => {
      const now = Math.floor(Date.now() / 1000);
      for (const secret of [await exportSPKI(issuer.es256.publicKey), JSON.stringify(issuer.es256.publicJwk)]) {
        const token = await new SignJWT({ iss: issuer.url, aud: API_AUDIENCE, sub: 'x', client_id: 'x', roles: ['admin'], exp: now + 300 })
          .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: issuer.es256.kid })
          .sign(new TextEncoder().encode(secret));
        assert.equal((await refuses(token)).message, 'the token is signed with an algorithm this API does not accept');
      }
    });

    it('a token signed by a key the issuer does not publish (unknown kid)', async () => {
      const rogue = await makeKey('ES256', 'rogue-1');
      const error = await refuses(await issuer.sign({}, { key: rogue }));
      assert.equal(error.message, 'the token is signed with a key the issuer does not publish');
    });

    it("a token signed by another key under the issuer's kid", async () => {
      const rogue = await makeKey('ES256', issuer.es256.kid);
      assert.equal((await refuses(await issuer.sign({}, { key: rogue }))).message, 'the token signature is invalid');
    });

    it('a wrong iss', async () => {
      assert.equal((await refuses(await issuer.sign({ iss: 'https://evil.example' }))).message, 'the token was issued by another issuer');
      await refuses(await issuer.sign({ iss: `${issuer.url}/` }));
    });

    it('a wrong aud', async () => {
      assert.equal((await refuses(await issuer.sign({ aud: 'https://other-api.example' }))).message, 'the token is not meant for this API');
      await refuses(await issuer.sign({ aud: undefined }));
    });

    it('an expired token, as TOKEN_EXPIRED', async () => {
      const error = await refuses(await issuer.sign({}, { expiresIn: -120 }), 'TOKEN_EXPIRED');
      assert.equal(error.message, 'the access token has expired');
    });

    it('a token without exp', async () => {
      assert.equal((await refuses(await issuer.sign({ exp: undefined }))).message, 'the token lacks the exp claim');
    });

    it('a token whose nbf is in the future', async () => {
      assert.equal((await refuses(await issuer.sign({ nbf: Math.floor(Date.now() / 1000) + 300 }))).message, 'the token is not valid yet');
    });

    it('an ID token (typ JWT) or a token without typ', async () => {
      const idToken = await issuer.sign({ aud: API_AUDIENCE, nonce: 'n', email: 'a@b.c' }, { header: { typ: 'JWT' } });
      assert.equal((await refuses(idToken)).message, 'the token is not an access token');
      await refuses(await issuer.sign({}, { header: { typ: undefined } }));
    });

    it('claims of the wrong shape: no sub, no client_id, roles not a list', async () => {
      await refuses(await issuer.sign({ sub: undefined }));
      await refuses(await issuer.sign({ client_id: undefined }));
      await refuses(await issuer.sign({ roles: 'admin' }));
      await refuses(await issuer.sign({ permissions: [1, 2] }));
    });

    it('garbage and empty input', async () => {
      await refuses('not-a-jwt');
      await refuses('a.b.c');
      await rejectsWithCode(verifier.verify(''), 'INVALID_TOKEN');
    });

    it('an algorithm outside the configured list', async () => {
      const esOnly = createVerifier({ issuer: issuer.url, audience: API_AUDIENCE, algorithms: ['ES256'] });
      await rejectsWithCode(esOnly.verify(await issuer.sign({}, { key: issuer.rs256 })), 'INVALID_TOKEN');
      await esOnly.verify(await issuer.sign());
    });
  });

  describe('construction', () => {
    for (const algorithms of [['HS256'], ['none'], ['ES256', 'HS512'], ['NONE'], []]) {
      it(`refuses algorithms ${JSON.stringify(algorithms)}`, () => {
        assert.throws(
          () => createVerifier({ issuer: issuer.url, audience: API_AUDIENCE, algorithms }),
          (e: unknown) => {
            assert.ok(e instanceof VerifierOptionsError);
            assert.equal(e.code, 'INVALID_VERIFIER_OPTIONS');
            return true;
          },
        );
      });
    }

    it('refuses a clock tolerance above 60 s, a non-URL issuer and an empty audience', () => {
      assert.throws(() => createVerifier({ issuer: issuer.url, audience: API_AUDIENCE, clockTolerance: 61 }), VerifierOptionsError);
      assert.throws(() => createVerifier({ issuer: 'not a url', audience: API_AUDIENCE }), VerifierOptionsError);
      assert.throws(() => createVerifier({ issuer: issuer.url, audience: '' }), VerifierOptionsError);
    });

    it('fetches nothing until the first verify', async () => {
      const before = { ...issuer.requests };
      createVerifier({ issuer: issuer.url, audience: API_AUDIENCE });
      await sleep(50);
      assert.deepEqual(issuer.requests, before);
    });
  });

  describe('discovery and keys', () => {
    it('discovers the JWKS once, for concurrent and later calls alike', async () => {
      const before = { ...issuer.requests };
      const tokens = await Promise.all(['a', 'b', 'c', 'd'].map((sub) => issuer.sign({ sub })));
      await Promise.all(tokens.map((token) => verifier.verify(token)));
      await verifier.verify(await issuer.sign({ sub: 'e' }));
      assert.deepEqual(issuer.requests, { discovery: before.discovery + 1, jwks: before.jwks + 1 });
    });

    it('skips discovery when jwksUri is given', async () => {
      const before = issuer.requests.discovery;
      const direct = createVerifier({ issuer: issuer.url, audience: API_AUDIENCE, jwksUri: issuer.jwksUri });
      await direct.verify(await issuer.sign());
      assert.equal(issuer.requests.discovery, before);
    });

    it('answers VERIFIER_UNAVAILABLE when the issuer cannot be reached', async () => {
      const unreachable = createVerifier({ issuer: await deadUrl(), audience: API_AUDIENCE });
      const error = await rejectsWithCode(unreachable.verify(await issuer.sign()), 'VERIFIER_UNAVAILABLE');
      assert.ok(error instanceof VerifierUnavailableError);
      assert.ok(error.retryAfterSeconds > 0);
    });

    it('answers VERIFIER_UNAVAILABLE when the JWKS cannot be fetched', async () => {
      const unreachable = createVerifier({ issuer: issuer.url, audience: API_AUDIENCE, jwksUri: `${await deadUrl()}/jwks` });
      await rejectsWithCode(unreachable.verify(await issuer.sign()), 'VERIFIER_UNAVAILABLE');
      issuer.jwksStatus = 500;
      try {
        const failing = createVerifier({ issuer: issuer.url, audience: API_AUDIENCE, jwksUri: issuer.jwksUri });
        await rejectsWithCode(failing.verify(await issuer.sign()), 'VERIFIER_UNAVAILABLE');
      } finally {
        issuer.jwksStatus = undefined;
      }
    });

    it('refuses a discovery document naming another issuer', async () => {
      issuer.announcedIssuer = 'https://impostor.example';
      try {
        await rejectsWithCode(verifier.verify(await issuer.sign()), 'VERIFIER_UNAVAILABLE');
      } finally {
        issuer.announcedIssuer = undefined;
      }
    });

    it('retries a failed discovery later, not on every call', async () => {
      issuer.discoveryStatus = 503;
      const token = await issuer.sign();
      const before = issuer.requests.discovery;
      try {
        await rejectsWithCode(verifier.verify(token), 'VERIFIER_UNAVAILABLE');
        await rejectsWithCode(verifier.verify(token), 'VERIFIER_UNAVAILABLE');
        assert.equal(issuer.requests.discovery, before + 1, 'the second call reuses the fresh failure');
      } finally {
        issuer.discoveryStatus = undefined;
      }
      await sleep(2_100);
      assert.equal((await verifier.verify(token)).sub, 'user-1');
      assert.equal(issuer.requests.discovery, before + 2);
    });
  });

  describe('verified-token cache', () => {
    it('serves a repeated token from the cache, without verifying it again', async () => {
      const token = await issuer.tokenFor('admin');
      const first = await verifier.verify(token);
      // verification builds a new claims object each time, so getting the very same one back means it was not re-verified
      assert.equal(await verifier.verify(token), first);
      const uncached = createVerifier({ issuer: issuer.url, audience: API_AUDIENCE, cacheSize: 0 });
      assert.notEqual(await uncached.verify(token), await uncached.verify(token));
    });

    it('evicts the least recently used token beyond cacheSize', async () => {
      const small = createVerifier({ issuer: issuer.url, audience: API_AUDIENCE, cacheSize: 2 });
      const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((sub) => issuer.sign({ sub })));
      const claimsA = await small.verify(a!);
      const claimsB = await small.verify(b!);
      assert.equal(await small.verify(a!), claimsA); // a is now the most recently used
      await small.verify(c!); // evicts b
      assert.equal(await small.verify(a!), claimsA);
      assert.notEqual(await small.verify(b!), claimsB);
    });

    it('never serves a token past its exp', async () => {
      const strict = createVerifier({ issuer: issuer.url, audience: API_AUDIENCE, clockTolerance: 0 });
      const token = await issuer.sign({}, { expiresIn: 2 });
      const claims = await strict.verify(token);
      assert.equal(await strict.verify(token), claims);
      await sleep(claims.expiresAt.getTime() - Date.now() + 50);
      await rejectsWithCode(strict.verify(token), 'TOKEN_EXPIRED');
    });
  });
});
