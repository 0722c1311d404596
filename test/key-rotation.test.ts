import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { packageRoot } from '../src/paths.js';
import { createVerifier } from '@auth-connect/resource-server';
import { startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { runCli } from './helpers/processes.js';

/**
 * A rotation end to end, with short times: tokens live 60 s, a new key signs 8 s after it is published,
 * the old one retires 62 s after that. An API with a cached JWKS (2 s) verifies every token.
 */
describe('signing key rotation without downtime', function () {
  this.timeout(180_000);
  let as: TestAuthServer;
  let client: { id: string; secret: string };

  before(async () => {
    const configDir = mkdtempSync(path.join(tmpdir(), 'ac-config-'));
    cpSync(path.join(packageRoot, 'config'), configDir, { recursive: true });
    const file = path.join(configDir, 'auth_config.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), signing_keys: { prepublish_seconds: 8, retire_after_seconds: 62, check_interval_seconds: 1 } }));
    as = await startAuthServer('embedded', { CONFIG_DIR: configDir, ACCESS_TOKEN_EXPIRE_MINUTES: '1' });
    const created = await as.createClient({ name: 'Rotation probe', grant: 'client_credentials', permissions: ['read'] });
    client = { id: created.client.client_id, secret: created.secret! };
  });
  after(() => as?.stop());

  const token = async () => {
    const response = await fetch(`${as.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}` },
      body: 'grant_type=client_credentials',
    });
    assert.equal(response.status, 200);
    return ((await response.json()) as { access_token: string }).access_token;
  };
  const published = async () => ((await (await fetch(`${as.issuer}/jwks`)).json()) as { keys: { kid: string; alg: string }[] }).keys.filter((k) => k.alg === 'ES256').map((k) => k.kid);

  it('verifies every token issued before, during and after a rotation; the old key leaves /jwks only after its tokens expired', async () => {
    const api = createVerifier({ issuer: as.issuer, audience: 'urn:auth-connect:api', jwksCacheMaxAgeSeconds: 2 });
    const oldKid = decodeProtectedHeader(await token()).kid!;
    const issued: { kid: string; exp: number; value: string }[] = [];
    const failures: string[] = [];
    let rotatedAt = 0;
    let newKid: string | undefined;
    let firstNewTokenAt = 0;
    let oldKeyGoneAt = 0;

    const started = Date.now();
    while (Date.now() - started < 120_000) {
      const value = await token();
      const kid = decodeProtectedHeader(value).kid!;
      issued.push({ kid, exp: decodeJwt(value).exp!, value });
      try {
        await api.verify(value);
      } catch (error) {
        failures.push(`${kid}: ${(error as Error).message}`);
      }

      if (!rotatedAt && Date.now() - started > 1_000) {
        const r = await runCli(['keys', 'rotate', '--json'], as.env);
        assert.equal(r.code, 0, r.stderr);
        rotatedAt = Date.now();
        newKid = (JSON.parse(r.stdout) as { added: { kid: string; alg: string }[] }).added.find((k) => k.alg === 'ES256')!.kid;
      }
      if (newKid && kid === newKid && !firstNewTokenAt) {
        firstNewTokenAt = Date.now();
        assert.ok(firstNewTokenAt - rotatedAt >= 7_000, `the new key signed ${firstNewTokenAt - rotatedAt} ms after rotation, before its pre-publication time`);
      }
      if (newKid && Date.now() - rotatedAt > 3_000 && !firstNewTokenAt) assert.ok((await published()).includes(newKid), 'the new key is published before it signs');

      const keys = await published();
      if (rotatedAt && !keys.includes(oldKid)) {
        oldKeyGoneAt = Date.now();
        const lastOldExpiry = Math.max(...issued.filter((t) => t.kid === oldKid).map((t) => t.exp));
        assert.ok(oldKeyGoneAt / 1000 >= lastOldExpiry, 'the old key left /jwks while a token it signed was still valid');
        break;
      }
      await sleep(500);
    }

    assert.deepEqual(failures, [], 'an API with a cached JWKS never failed a token');
    assert.ok(firstNewTokenAt, 'the new key took over');
    assert.ok(oldKeyGoneAt, 'the old key retired');
    const fresh = createVerifier({ issuer: as.issuer, audience: 'urn:auth-connect:api' });
    for (const t of issued.filter((t) => t.exp > Date.now() / 1000 + 1)) await fresh.verify(t.value);
    assert.ok(issued.some((t) => t.kid === oldKid) && issued.some((t) => t.kid === newKid));
  });
});
