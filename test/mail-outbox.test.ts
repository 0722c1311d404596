import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { loadConfig } from '../src/config/load-config.js';
import type { Config } from '../src/config/types.js';
import { migrateToLatest } from '../src/db/migrations.js';
import type { Database } from '../src/db/open-database.js';
import { createLogger } from '../src/logger.js';
import { mailSeal } from '../src/mail/mail-seal.js';
import { createMailTransport } from '../src/mail/mail-transport.js';
import { retryDelaySeconds, startMailWorker, type MailWorker } from '../src/mail/mail-worker.js';
import { createOutbox, listOutbox, type Mail, type Outbox } from '../src/mail/outbox.js';
import { startSmtpSink, type SmtpSink } from './helpers/smtp-sink.js';
import { createTestDatabase, testEngines, type TestDatabase } from './helpers/test-database.js';

const SECRET = 'a-test-secret-that-is-long-enough-for-the-outbox';
const quiet = createLogger('silent');

/** Waits until `check` holds, looking every 50 ms. */
async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('mail backoff', () => {
  it('doubles from retry_initial_seconds up to retry_max_seconds', () => {
    const settings = {
      poll_seconds: 5,
      retry_initial_seconds: 30,
      retry_max_seconds: 3600,
      max_attempts: 20,
      send_timeout_seconds: 30,
      new_device_notice: true,
    };
    assert.deepEqual(
      [1, 2, 3, 4, 8, 20].map((attempts) => retryDelaySeconds(attempts, settings)),
      [30, 60, 120, 240, 3600, 3600],
    );
  });
});

for (const engine of testEngines()) {
  describe(`the mail outbox and its worker on ${engine}`, function () {
    this.timeout(60_000);
    let testDb: TestDatabase;
    let database: Database;
    let smtp: SmtpSink;
    let config: Config;
    let outbox: Outbox;
    let dataDir: string;
    const workers: MailWorker[] = [];
    let n = 0;

    const mail = (to: string, overrides: Partial<Mail> = {}): Mail => ({
      eventKey: `test:${++n}`,
      to,
      template: 'password_reset',
      locale: 'en',
      data: { email: to, link: `http://127.0.0.1:1/reset-password?token=${'a'.repeat(43)}&lang=en` },
      ...overrides,
    });
    const worker = (options: { secret?: string; smtpUrl?: string } = {}) => {
      const started = startMailWorker({
        db: database.knex,
        config,
        seal: mailSeal(options.secret ?? SECRET),
        transport: createMailTransport({ ...config.runtime, smtpUrl: options.smtpUrl ?? smtp.url }, quiet, config.auth.mail.send_timeout_seconds),
        log: quiet,
      });
      workers.push(started);
      return started;
    };
    const rowsTo = (to: string) => database.knex('mail_outbox').where({ recipient: to });

    before(async () => {
      dataDir = mkdtempSync(path.join(tmpdir(), 'ac-mail-'));
      [testDb, smtp] = await Promise.all([createTestDatabase(engine), startSmtpSink()]);
      database = await testDb.open();
      await migrateToLatest(database.knex);
      config = loadConfig({ JWT_SECRET: SECRET, DATA_DIR: dataDir, ISSUER: 'http://127.0.0.1:1' });
      // fast retries: the suite must not sleep through real backoff
      config.auth.mail = {
        ...config.auth.mail,
        poll_seconds: 0.1,
        retry_initial_seconds: 0.2,
        retry_max_seconds: 0.4,
        max_attempts: 20,
        send_timeout_seconds: 2,
      };
      outbox = createOutbox(mailSeal(SECRET));
    });

    afterEach(async () => {
      smtp.refuse(false);
      await Promise.all(workers.splice(0).map((w) => w.stop()));
    });

    after(async () => {
      await smtp?.close();
      await database?.close();
      await testDb?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('sends a mail whose transaction committed, once; one whose transaction rolled back is never queued', async () => {
      const kept = mail('kept@example.com');
      await database.knex.transaction((trx) => outbox.enqueue(trx, kept));
      await database.knex
        .transaction(async (trx) => {
          await outbox.enqueue(trx, mail('dropped@example.com'));
          throw new Error('the change failed');
        })
        .catch(() => {});
      worker();
      const received = await smtp.waitFor('kept@example.com', /Reset your password/);
      assert.match(received.text, /reset-password\?token=a{43}&lang=en/);
      assert.match(received.html, /<a href="http:\/\/127\.0\.0\.1:1\/reset-password\?token=a{43}&amp;lang=en"/);
      assert.match(String(received.parsed.from?.text), /auth-connect.*no-reply@127\.0\.0\.1/);
      await until(async () => (await rowsTo('kept@example.com'))[0]?.status === 'sent', 'the row marked sent');
      assert.equal((await rowsTo('dropped@example.com')).length, 0);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(smtp.to('kept@example.com').length, 1, 'sent once');
    });

    it('queues one mail per event and recipient, however often the event is written', async () => {
      const once = mail('once@example.com', { eventKey: 'test:same-event' });
      await outbox.enqueue(database.knex, once);
      await outbox.enqueue(database.knex, once);
      await outbox.enqueue(database.knex, { ...once, to: 'other@example.com' });
      assert.equal((await rowsTo('once@example.com')).length, 1);
      assert.equal((await rowsTo('other@example.com')).length, 1);
    });

    it('keeps the link only sealed in the database; a worker with another server secret marks the mail failed instead of sending it', async () => {
      await outbox.enqueue(database.knex, mail('sealed@example.com'));
      const [row] = await rowsTo('sealed@example.com');
      assert.doesNotMatch(JSON.stringify(row), /token=|aaaaaaaa|reset-password/);
      worker({ secret: 'another-secret-that-is-long-enough-for-the-outbox' });
      await until(async () => (await rowsTo('sealed@example.com'))[0]?.status === 'failed', 'the row marked failed');
      assert.match((await rowsTo('sealed@example.com'))[0].last_error, /server secret/);
      assert.equal(smtp.to('sealed@example.com').length, 0);
    });

    it('SMTP refusing: each try is counted with its error, nothing is lost, and the mail goes once when SMTP is back', async () => {
      smtp.refuse(true);
      worker();
      await outbox.enqueue(database.knex, mail('retry@example.com'));
      await until(async () => ((await rowsTo('retry@example.com'))[0]?.attempts ?? 0) >= 3, 'three failed tries', 15_000);
      const [failing] = await rowsTo('retry@example.com');
      assert.equal(failing.status, 'pending');
      assert.match(failing.last_error, /451/);
      const listed = (await listOutbox(database.knex, { status: 'pending', limit: 100, offset: 0 })).find((m) => m.recipient === 'retry@example.com');
      assert.ok(listed && listed.attempts >= 3 && /451/.test(String(listed.last_error)), JSON.stringify(listed));
      smtp.refuse(false);
      await smtp.waitFor('retry@example.com');
      await until(async () => (await rowsTo('retry@example.com'))[0]?.status === 'sent', 'the row marked sent');
      assert.equal(smtp.to('retry@example.com').length, 1);
    });

    it('survives a restart: mail left unsent by a stopped worker is sent once by the next', async () => {
      smtp.refuse(true);
      const first = worker();
      await outbox.enqueue(database.knex, mail('restart@example.com'));
      await until(async () => ((await rowsTo('restart@example.com'))[0]?.attempts ?? 0) >= 1, 'a failed try');
      await first.stop();
      // queued while no worker runs at all
      await outbox.enqueue(database.knex, mail('restart-later@example.com'));
      smtp.refuse(false);
      worker();
      await Promise.all([smtp.waitFor('restart@example.com'), smtp.waitFor('restart-later@example.com')]);
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(smtp.to('restart@example.com').length, 1);
      assert.equal(smtp.to('restart-later@example.com').length, 1);
    });

    it('several workers on one outbox (as several instances) send each mail exactly once', async () => {
      const recipients = Array.from({ length: 30 }, (_, i) => `many-${i}@example.com`);
      await database.knex.transaction(async (trx) => {
        for (const to of recipients) await outbox.enqueue(trx, mail(to));
      });
      worker();
      worker();
      worker();
      await until(async () => recipients.every((to) => smtp.to(to).length > 0), 'every mail', 20_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.deepEqual(
        recipients.filter((to) => smtp.to(to).length !== 1),
        [],
        'each sent once',
      );
    });

    it('gives up after max_attempts: the mail is marked failed and stays listed with its last error', async () => {
      const saved = config.auth.mail;
      config.auth.mail = { ...saved, max_attempts: 2 };
      try {
        smtp.refuse(true);
        worker();
        await outbox.enqueue(database.knex, mail('gives-up@example.com'));
        await until(async () => (await rowsTo('gives-up@example.com'))[0]?.status === 'failed', 'the row marked failed');
        const listed = (await listOutbox(database.knex, { status: 'failed', limit: 100, offset: 0 })).find((m) => m.recipient === 'gives-up@example.com');
        assert.equal(listed?.attempts, 2);
      } finally {
        config.auth.mail = saved;
      }
    });

    it('without SMTP: each mail becomes an .eml file in DATA_DIR/outbox/, and one log line names it', async () => {
      const lines: string[] = [];
      const log = pino(
        { level: 'info' },
        new Writable({
          write(chunk, _encoding, done) {
            lines.push(String(chunk));
            done();
          },
        }),
      );
      const files = startMailWorker({
        db: database.knex,
        config,
        seal: mailSeal(SECRET),
        transport: createMailTransport({ ...config.runtime, smtpUrl: undefined }, log, 2),
        log,
      });
      workers.push(files);
      await outbox.enqueue(database.knex, mail('file@example.com', { locale: 'de', template: 'verify_email' }));
      const dir = path.join(dataDir, 'outbox');
      await until(() => lines.some((line) => line.includes('file@example.com')), 'the log line');
      const named = lines.filter((line) => line.includes('file@example.com'));
      assert.equal(named.length, 1);
      const file = JSON.parse(named[0]!).file as string;
      assert.equal(path.dirname(file), dir);
      assert.ok(readdirSync(dir).includes(path.basename(file)));
      const eml = readFileSync(file, 'utf8');
      assert.match(eml, /^To: file@example.com$/m);
      assert.match(eml, /Subject: =\?UTF-8\?Q\?Best=C3=A4tigen|Subject: Bestätigen/);
    });
  });
}
