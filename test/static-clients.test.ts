import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { hashClientSecret } from '../src/clients/client-secret.js';
import { packageRoot } from '../src/paths.js';
import { startAuthServer, type TestAuthServer } from './helpers/auth-server.js';

describe('clients from clients.json', function () {
  this.timeout(60_000);
  const secret = 'static-client-secret-of-some-length-000';
  let as: TestAuthServer;

  before(async () => {
    const configDir = mkdtempSync(path.join(tmpdir(), 'ac-config-'));
    cpSync(path.join(packageRoot, 'config'), configDir, { recursive: true });
    writeFileSync(
      path.join(configDir, 'clients.json'),
      JSON.stringify({
        clients: [
          {
            client_id: 'reports',
            client_name: 'Reports',
            grant_types: ['client_credentials'],
            client_secret_hash: hashClientSecret(secret),
            permissions: ['read'],
          },
        ],
      }),
    );
    as = await startAuthServer('embedded', { CONFIG_DIR: configDir });
  });
  after(() => as?.stop());

  const request = (password: string) =>
    fetch(`${as.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'reports', client_secret: password }),
    });

  it('authenticate with their secret, checked against the stored hash', async () => {
    assert.equal((await request(secret)).status, 200, 'oidc-provider 9.13 takes the secret in the form too');
    assert.equal((await request(`${secret}x`)).status, 401);
    assert.equal((await request(hashClientSecret(secret))).status, 401, 'the stored hash is not the secret');
    const basic = await fetch(`${as.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`reports:${secret}`).toString('base64')}` },
      body: 'grant_type=client_credentials',
    });
    assert.equal(basic.status, 200);
    const { access_token } = (await basic.json()) as { access_token: string };
    const { payload } = await jwtVerify(access_token, createRemoteJWKSet(new URL(`${as.issuer}/jwks`)), {
      issuer: as.issuer,
      audience: 'urn:auth-connect:api',
    });
    assert.deepEqual(payload.permissions, ['read']);
    assert.equal(payload.sub, 'reports');
  });
});
