import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { configDirWith } from './helpers/config-dir.js';
import { PASSWORD } from './helpers/auth-server.js';
import { startServer, type RunningServer } from './helpers/processes.js';
import { startSmtpSink, type SmtpSink } from './helpers/smtp-sink.js';
import { createTestDatabase, testEngines, type TestDatabase } from './helpers/test-database.js';

const SECRET = 'test-secret-that-is-long-enough-for-auth-connect';

/** Waits until `check` holds, looking every 100 ms. */
async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

for (const engine of testEngines()) {
  describe(`the outbox across a server restart, and the file outbox of npm start, on ${engine}`, function () {
    this.timeout(120_000);
    let testDb: TestDatabase;
    let smtp: SmtpSink;
    let server: RunningServer | undefined;
    const configDir = configDirWith({
      auth_config: { mail: { poll_seconds: 0.2, retry_initial_seconds: 0.2, retry_max_seconds: 0.5, max_attempts: 100, send_timeout_seconds: 3 } },
    });

    before(async () => {
      [testDb, smtp] = await Promise.all([createTestDatabase(engine), startSmtpSink()]);
    });
    after(async () => {
      await server?.stop();
      await smtp?.close();
      await testDb?.drop();
    });

    /** The outbox rows to `to`, read beside the running server. */
    async function rowsTo(to: string) {
      const db = await testDb.openBeside();
      try {
        return await db.knex('mail_outbox').where({ recipient: to });
      } finally {
        await db.close();
      }
    }

    it('mail queued while SMTP refuses is still there after SIGTERM, and the next server sends it once (here: to a file, with no SMTP_URL); forgot-password is limited per address', async () => {
      smtp.refuse(true);
      const env = { ...testDb.env, JWT_SECRET: SECRET, CONFIG_DIR: configDir };
      server = await startServer({ ...env, SMTP_URL: smtp.url });
      assert.match(server.output(), /mail goes to SMTP at smtp:\/\/127\.0\.0\.1:\d+/);
      const registered = await fetch(`${server.url}/api/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'restart@example.com', password: PASSWORD }),
      });
      assert.equal(registered.status, 201);
      await until(async () => ((await rowsTo('restart@example.com'))[0]?.attempts ?? 0) >= 1, 'a refused try');
      assert.equal(await server.stop('SIGTERM'), 0);
      server = undefined;
      const [waiting] = await rowsTo('restart@example.com');
      assert.equal(waiting.status, 'pending', 'kept across the restart');
      assert.match(waiting.last_error, /451/);

      // the next server has no SMTP_URL: as `npm start` out of the box, mail goes to DATA_DIR/outbox/ and the log says where
      server = await startServer(env);
      const dir = path.join(testDb.env.DATA_DIR!, 'outbox');
      assert.ok(server.output().includes(`mail goes to files in ${dir}`), server.output());
      await until(() => server!.output().includes('mail to restart@example.com written to'), 'the log line naming the file');
      const logLines = server
        .output()
        .split('\n')
        .filter((line) => line.includes('mail to restart@example.com written to'));
      assert.equal(logLines.length, 1, 'sent once');
      const file = JSON.parse(logLines[0]!).file as string;
      assert.ok(existsSync(file) && path.dirname(file) === dir);
      assert.equal(readdirSync(dir).length, 1);
      assert.match(readFileSync(file, 'utf8'), /verify-email\?=?\s*token=/);
      await until(async () => (await rowsTo('restart@example.com'))[0]?.status === 'sent', 'marked sent');
      assert.equal(smtp.received.length, 0, 'never also sent by the first server');

      // forgot-password is limited per client address (rate_limit.password_reset_per_minute, 5 by default)
      const ask = (i: number) =>
        fetch(`${server!.url}/api/auth/forgot-password`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: `someone-${i}@example.com` }),
        });
      for (let i = 0; i < 5; i++) assert.equal((await ask(i)).status, 202);
      const limited = await ask(5);
      assert.equal(limited.status, 429);
      assert.ok(Number(limited.headers.get('retry-after')) > 0);
      assert.equal(((await limited.json()) as { error: string }).error, 'TOO_MANY_REQUESTS');
    });
  });
}
