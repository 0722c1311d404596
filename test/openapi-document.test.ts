import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { packageRoot } from '../src/paths.js';
import { startAuthServer, type TestAuthServer } from './helpers/auth-server.js';

const redocly = path.join(packageRoot, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');

/** `redocly lint` with our rules (redocly.yaml), offline: no telemetry, no update check (both would call out). */
function lint(file: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' };
    const child = spawn(process.execPath, [redocly, 'lint', '--config', path.join(packageRoot, 'redocly.yaml'), file], {
      cwd: packageRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('GET /api/openapi.json', () => {
  let auth: TestAuthServer;
  let dir: string;
  before(async () => {
    auth = await startAuthServer('embedded');
    dir = mkdtempSync(path.join(tmpdir(), 'ac-openapi-lint-'));
  });
  after(async () => {
    await auth?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the OpenAPI 3.1 document of the JSON API, naming this server', async () => {
    const res = await fetch(`${auth.issuer}/api/openapi.json`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const document = (await res.json()) as { openapi: string; servers: { url: string }[]; paths: Record<string, unknown> };
    assert.equal(document.openapi, '3.1.0');
    assert.deepEqual(document.servers, [{ url: auth.issuer }]);
    assert.ok(document.paths['/api/admin/users/{id}'], 'path parameters in OpenAPI form');
  });

  it('passes redocly lint (every recommended rule an error)', async () => {
    const file = path.join(dir, 'openapi.json');
    writeFileSync(file, await (await fetch(`${auth.issuer}/api/openapi.json`)).text());
    const { code, output } = await lint(file);
    assert.equal(code, 0, output);
    assert.match(output, /valid/);
  });

  it('the lint fails a broken document (so the test above can fail)', async () => {
    const file = path.join(dir, 'broken.json');
    writeFileSync(
      file,
      JSON.stringify({
        openapi: '3.1.0',
        info: { title: 'x', version: '1' },
        paths: {
          '/x': { get: { responses: { 200: { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/Missing' } } } } } } },
        },
      }),
    );
    const { code } = await lint(file);
    assert.equal(code, 1);
  });
});
