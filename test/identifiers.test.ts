import assert from 'node:assert/strict';
import argon2 from 'argon2';
import { up as foldEmailsToNfkc } from '../migrations/20261202_010_emails_nfkc.js';
import { startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { jsonApi } from './helpers/json-api.js';
import { testEngines } from './helpers/test-database.js';

const NFC = 'S\u00e9cret123';
const NFD = 'Se\u0301cret123';

/** Look-alike emails and differently composed passwords, as a person signing up or in meets them. */
for (const engine of testEngines()) {
  describe(`identifiers on ${engine}`, function () {
    this.timeout(120_000);
    let as: TestAuthServer;
    let api: ReturnType<typeof jsonApi>;

    before(async () => {
      as = await startAuthServer(engine);
      api = jsonApi(`${as.issuer}/api/auth`);
      await as.createUser('admin@example.com', 'admin');
    });
    after(() => as?.stop());

    it('does not register the Cyrillic look-alike \u0430dmin@example.com beside admin@example.com', async () => {
      const r = await api('POST', '/register', { email: '\u0430dmin@example.com', password: 'Secret123' });
      assert.deepEqual([r.status, r.body.error], [400, 'INVALID_EMAIL'], JSON.stringify(r.body));
      const domain = await api('POST', '/register', { email: 'admin@ex\u0430mple.com', password: 'Secret123' });
      assert.deepEqual([domain.status, domain.body.error], [400, 'INVALID_EMAIL'], JSON.stringify(domain.body));
    });

    it('maps the fullwidth \uff41dmin@example.com to the existing account: 409 USER_EXISTS', async () => {
      const r = await api('POST', '/register', { email: '\uff41dmin@example.com', password: 'Secret123' });
      assert.deepEqual([r.status, r.body.error], [409, 'USER_EXISTS']);
      const emails = (await as.db.knex('users').select('email')).map((row: { email: string }) => row.email);
      assert.deepEqual(emails, ['admin@example.com']);
    });

    it('rewrites emails stored before NFKC (e.g. fullwidth) so their owners still sign in, unless the folded form is taken', async () => {
      const legacy = await as.createUser('legacy@example.com', 'student');
      const clash = await as.createUser('clash@example.com', 'student');
      await as.db.knex('users').where({ id: legacy.id }).update({ email: '\uff4cegacy@example.com' });
      await as.db.knex('users').where({ id: clash.id }).update({ email: '\uff41dmin@example.com' });
      await foldEmailsToNfkc(as.db.knex);
      const emailOf = async (id: string) => (await as.db.knex('users').where({ id }).first('email'))?.email;
      assert.equal(await emailOf(legacy.id), 'legacy@example.com');
      assert.equal(await emailOf(clash.id), '\uff41dmin@example.com', 'admin@example.com is taken');
      assert.equal((await api('POST', '/login', { email: '\uff4cegacy@example.com', password: 'Secret123' })).status, 200);
    });

    it('lets a user registered with an NFC password sign in with the same password typed in NFD', async () => {
      assert.equal((await api('POST', '/register', { email: 'rene@example.com', password: NFC })).status, 201);
      const r = await api('POST', '/login', { email: 'rene@example.com', password: NFD });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal((await api('POST', '/login', { email: 'rene@example.com', password: 'Secret123' })).status, 401);
    });

    it('still signs in a user whose hash was made from the typed NFD form, and re-makes it from NFC', async () => {
      const user = await as.createUser('old@example.com', 'student');
      const oldHash = await argon2.hash(NFD, { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 });
      await as.db.knex('users').where({ id: user.id }).update({ password_hash: oldHash });
      const r = await api('POST', '/login', { email: 'old@example.com', password: NFD });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const rehashed = (await as.db.knex('users').where({ id: user.id }).first('password_hash'))!.password_hash;
      assert.notEqual(rehashed, oldHash, 'the hash was re-made');
      assert.equal(await argon2.verify(rehashed, NFC), true, 'from the NFC form');
      assert.equal((await api('POST', '/login', { email: 'old@example.com', password: NFC })).status, 200);
    });
  });
}
