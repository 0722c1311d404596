import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { freePort, startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { testEngines } from './helpers/test-database.js';

const form = { 'content-type': 'application/x-www-form-urlencoded' };

/** The series (metric name with its labels) in a Prometheus text answer. */
const seriesOf = (text: string) =>
  text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => line.slice(0, line.lastIndexOf(' ')));

for (const engine of testEngines()) {
  describe(`metrics on ${engine}`, () => {
    let as: TestAuthServer;
    let metricsUrl: string;
    let machine: { clientId: string; secret: string };
    before(async () => {
      const metricsPort = await freePort();
      as = await startAuthServer(engine, { METRICS_PORT: String(metricsPort) });
      metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
      const created = await as.createClient({ name: 'Reporting job', grant: 'client_credentials', permissions: ['read'] });
      machine = { clientId: created.client.client_id, secret: created.secret! };
    });
    after(() => as?.stop());

    const token = (grantType: string, secret = machine.secret) =>
      fetch(`${as.issuer}/token`, {
        method: 'POST',
        headers: { ...form, authorization: `Basic ${Buffer.from(`${machine.clientId}:${secret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: grantType }),
      });
    const clientCredentials = (secret: string) => token('client_credentials', secret);
    const randomGrant = () => token(`urn:x:${randomBytes(8).toString('hex')}`);
    const metrics = async () => {
      const response = await fetch(metricsUrl);
      assert.equal(response.status, 200);
      return response.text();
    };

    it('are not served on the main port', async () => {
      const response = await fetch(`${as.issuer}/metrics`);
      assert.equal(response.status, 404);
      assert.doesNotMatch(await response.text(), /auth_connect_/);
    });

    it('are served on METRICS_PORT, on loopback, with token outcomes by grant type', async () => {
      assert.match(as.server.output(), new RegExp(`metrics on ${metricsUrl.replace(/[.]/g, '\\.')}`));
      assert.equal((await clientCredentials(machine.secret)).status, 200);
      assert.equal((await clientCredentials('wrong-secret')).status, 401);
      const text = await metrics();
      assert.match(text, /auth_connect_token_requests_total\{grant_type="client_credentials",outcome="success"\} [1-9]/);
      assert.match(text, /auth_connect_http_request_duration_seconds_count\{group="token",method="POST",status="401"\} [1-9]/);
      assert.match(text, /auth_connect_process_resident_memory_bytes/);
      assert.equal((await fetch(metricsUrl.replace('/metrics', '/'))).status, 404);
    });

    it('count unknown grant types as "other": 50 random grant types add no series', async () => {
      assert.equal((await randomGrant()).status, 400);
      const before = seriesOf(await metrics()).filter((s) => !s.startsWith('auth_connect_process_') && !s.startsWith('auth_connect_nodejs_'));
      for (let i = 0; i < 50; i++) assert.equal((await randomGrant()).status, 400);
      const text = await metrics();
      const after = seriesOf(text).filter((s) => !s.startsWith('auth_connect_process_') && !s.startsWith('auth_connect_nodejs_'));
      assert.deepEqual(after, before);
      assert.match(text, /auth_connect_token_requests_total\{grant_type="other",outcome="error"\} (5[1-9]|[6-9]\d)/);
      assert.doesNotMatch(text, /urn:x:/);
    });
  });
}
