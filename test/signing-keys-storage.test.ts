import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateSigningKey } from '../src/keys/generate-signing-key.js';
import type { PrivateKeySet } from '../src/keys/key-set-file.js';
import { startServerInProcess } from './helpers/in-process-server.js';
import { runCli, startServer } from './helpers/processes.js';
import { createTestDatabase, testEngines, type TestDatabase } from './helpers/test-database.js';

const JWT_SECRET = 'test-secret-that-is-long-enough-for-auth-connect';

/** A key file as versions before the database wrote it to KEYS_DIR. */
async function writeKeyFile(keysDir: string): Promise<PrivateKeySet> {
  const set: PrivateKeySet = { keys: await Promise.all((['ES256', 'RS256'] as const).map(generateSigningKey)) };
  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  writeFileSync(path.join(keysDir, 'jwks.json'), JSON.stringify(set, null, 2), { mode: 0o600 });
  return set;
}

const kidsOf = (set: { keys: { kid: string }[] }) => set.keys.map((k) => k.kid).sort();
const jwks = async (url: string) => (await (await fetch(`${url}/jwks`)).json()) as { keys: { kid: string }[] };

for (const engine of testEngines()) {
  describe(`signing keys in the database (${engine})`, function () {
    this.timeout(120_000);
    const databases: TestDatabase[] = [];
    after(async () => {
      for (const db of databases) await db.drop();
    });
    const fresh = async () => {
      // migrated: the key import is the subject, and the CLI's migrations alone take seconds on the embedded engine
      const db = await createTestDatabase(engine, { migrated: true });
      databases.push(db);
      return { db, env: { ...db.env, JWT_SECRET } };
    };

    it('imports a KEYS_DIR key file at the first start on an empty table, once, and says so; keys import then refuses', async () => {
      const { db, env } = await fresh();
      const file = await writeKeyFile(db.runtime.keysDir);
      // in this process: what is under test is what the start logs and serves (the refusal below is a real process's)
      const first = await startServerInProcess(env);
      try {
        assert.match(
          first.output(),
          new RegExp(
            `"msg":"imported 2 signing key\\(s\\) from ${path.join(db.runtime.keysDir, 'jwks.json')} into the database; servers no longer read that file`,
          ),
        );
        assert.doesNotMatch(first.output(), /generated/);
        assert.deepEqual(kidsOf(await jwks(first.url)), kidsOf(file));
      } finally {
        await first.stop();
      }
      const second = await startServerInProcess(env);
      try {
        assert.doesNotMatch(second.output(), /imported/);
        assert.deepEqual(kidsOf(await jwks(second.url)), kidsOf(file));
        const again = await runCli(['keys', 'import'], env); // beside the running server
        assert.equal(again.code, 2, again.stdout);
        assert.match(again.stderr, /the database already holds 2 signing key\(s\); nothing imported from \S+jwks\.json/);
      } finally {
        await second.stop();
      }
    });

    // one database for the rest: on the embedded engine every CLI run without a server opens the database itself, which takes seconds
    let db: TestDatabase;
    let env: Record<string, string>;
    let file: PrivateKeySet;

    it('keys import copies the file into an empty table once, and says so each time', async () => {
      ({ db, env } = await fresh());
      file = await writeKeyFile(db.runtime.keysDir);
      const imported = await runCli(['keys', 'import'], env);
      assert.equal(imported.code, 0, imported.stderr);
      assert.match(imported.stdout, /^imported 2 signing key\(s\) from \S+jwks\.json into the database \(encrypted\)/);
      const again = await runCli(['keys', 'import'], env);
      assert.equal(again.code, 2);
      assert.match(again.stderr, /already holds 2 signing key\(s\); nothing imported/);
    });

    it('keeps the private keys encrypted at rest: no column holds a private parameter in clear', async () => {
      const open = await db.open();
      try {
        const rows = (await open.knex.raw('select * from signing_keys')).rows as Record<string, unknown>[];
        assert.deepEqual(rows.map((row) => String(row.kid)).sort(), kidsOf(file));
        const stored = JSON.stringify(rows);
        for (const key of file.keys) {
          for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const)
            if (key[member]) assert.ok(!stored.includes(key[member]!), `${key.alg} ${member} is not stored in clear`);
        }
        for (const row of rows) {
          assert.match(String(row.encrypted_private_jwk), /^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
          assert.equal((row.public_jwk as Record<string, unknown>).d, undefined);
        }
      } finally {
        await open.close();
      }
    });

    it('refuses to start with another KEYS_ENCRYPTION_KEY than the keys were sealed with: one line, no stack trace', async () => {
      const wrong = { ...env, KEYS_ENCRYPTION_KEY: randomBytes(32).toString('base64url') };
      const error = await startServer(wrong).then(
        () => assert.fail('started'),
        (e: Error) => e.message,
      );
      assert.match(
        error,
        /^auth-connect: the signing keys in the database were encrypted with another key-encryption key than this server's \(KEYS_ENCRYPTION_KEY\); give every instance and the CLI the same KEYS_ENCRYPTION_KEY/m,
      );
      assert.doesNotMatch(error, /\n\s+at /, 'no stack trace');
      const health = await runCli(['health'], wrong);
      assert.equal(health.code, 1);
      assert.match(health.stdout, /^FAIL\s+keys: the signing keys in the database were encrypted with another key-encryption key/m);
    });
  });
}
