import assert from 'node:assert/strict';
import { migrateToLatest } from '../src/db/migrations.js';
import type { Database } from '../src/db/open-database.js';
import { KnexAdapter } from '../src/oidc/knex-adapter.js';
import { removeExpiredPayloads } from '../src/oidc/expired-payload-cleanup.js';
import { createTestDatabase, testEngines, type TestDatabase } from './helpers/test-database.js';

for (const engine of testEngines()) {
  describe(`oidc adapter on ${engine}`, () => {
    let testDb: TestDatabase;
    let database: Database;
    before(async () => {
      testDb = await createTestDatabase(engine);
      database = await testDb.open();
      await migrateToLatest(database.knex);
    });
    after(async () => {
      await database?.close();
      await testDb?.drop();
    });

    it('finds what it stored, scoped by model', async () => {
      const codes = new KnexAdapter(database.knex, 'AuthorizationCode');
      const tokens = new KnexAdapter(database.knex, 'RefreshToken');
      await codes.upsert('same-id', { kind: 'AuthorizationCode', grantId: 'g1' }, 60);
      assert.deepEqual(await codes.find('same-id'), { kind: 'AuthorizationCode', grantId: 'g1' });
      assert.equal(await tokens.find('same-id'), undefined);
    });

    it('consumes once; a re-save never makes it usable again; the loser gets invalid_grant and the grant is revoked', async () => {
      const codes = new KnexAdapter(database.knex, 'AuthorizationCode');
      const refresh = new KnexAdapter(database.knex, 'RefreshToken');
      const grants = new KnexAdapter(database.knex, 'Grant');
      const revoked: string[] = [];
      const racing = new KnexAdapter(database.knex, 'AuthorizationCode', (grantId) => revoked.push(grantId));
      await grants.upsert('g2', { kind: 'Grant' }, 600);
      await refresh.upsert('rt-of-g2', { kind: 'RefreshToken', grantId: 'g2' }, 600);
      await codes.upsert('code-2', { kind: 'AuthorizationCode', grantId: 'g2' }, 60);

      const results = await Promise.allSettled(Array.from({ length: 8 }, () => racing.consume('code-2')));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) {
        assert.equal(r.reason.error, 'invalid_grant');
        assert.equal(r.reason.statusCode, 400);
      }
      assert.deepEqual([...new Set(revoked)], ['g2']);
      assert.equal(await refresh.find('rt-of-g2'), undefined, "the grant's refresh token is gone");
      assert.equal(await grants.find('g2'), undefined, 'the grant is gone');

      await codes.upsert('code-3', { kind: 'AuthorizationCode' }, 60);
      await codes.consume('code-3');
      await codes.upsert('code-3', { kind: 'AuthorizationCode', changed: true }, 60);
      assert.ok((await codes.find('code-3'))?.consumed, 'still consumed after a re-save');
    });

    it('answers text Postgres cannot store with invalid_request (saving) or "not found" (looking up), never a database error', async () => {
      const sessions = new KnexAdapter(database.knex, 'Session');
      await assert.rejects(sessions.upsert('s-nul', { kind: 'Session', claims: { 'a\u0000b': null } } as never, 60), { error: 'invalid_request' });
      await assert.rejects(sessions.upsert('s-surrogate', { kind: 'Session', state: 'a\ud800' } as never, 60), { error: 'invalid_request' });
      assert.equal(await sessions.find('a\u0000b'), undefined);
      assert.equal(await sessions.findByUid('a\u0000b'), undefined);
      assert.equal(await new KnexAdapter(database.knex, 'DeviceCode').findByUserCode('a\udc00'), undefined);
    });

    it('answers a used request_uri with invalid_request_uri', async () => {
      const par = new KnexAdapter(database.knex, 'PushedAuthorizationRequest');
      await par.upsert('par-1', { kind: 'PushedAuthorizationRequest' }, 60);
      await par.consume('par-1');
      await assert.rejects(par.consume('par-1'), { error: 'invalid_request_uri' });
    });

    it('finds sessions by uid, newest first, though uids are not unique', async () => {
      const sessions = new KnexAdapter(database.knex, 'Session');
      await sessions.upsert('s-old', { kind: 'Session', uid: 'u1', accountId: 'old' }, 600);
      await new Promise((r) => setTimeout(r, 20));
      await sessions.upsert('s-new', { kind: 'Session', uid: 'u1', accountId: 'new' }, 600);
      assert.equal((await sessions.findByUid('u1'))?.accountId, 'new');
    });

    it('revokes by grant id within its own model only', async () => {
      const codes = new KnexAdapter(database.knex, 'AuthorizationCode');
      const refresh = new KnexAdapter(database.knex, 'RefreshToken');
      await codes.upsert('c-g4', { kind: 'AuthorizationCode', grantId: 'g4' }, 60);
      await refresh.upsert('r-g4', { kind: 'RefreshToken', grantId: 'g4' }, 60);
      await refresh.revokeByGrantId('g4');
      assert.equal(await refresh.find('r-g4'), undefined);
      assert.ok(await codes.find('c-g4'));
    });

    it('removes rows expired beyond the grace period, in batches, and keeps the rest', async () => {
      const grants = new KnexAdapter(database.knex, 'Grant');
      await grants.upsert('fresh', { kind: 'Grant' }, 600);
      await grants.upsert('forever', { kind: 'Grant' }, undefined);
      await database
        .knex('oidc_payloads')
        .insert(
          Array.from({ length: 1500 }, (_, i) => ({ model: 'Interaction', id: `old-${i}`, payload: '{}', expires_at: new Date(Date.now() - 3_600_000) })),
        );
      const removed = await removeExpiredPayloads(database.knex);
      assert.equal(removed, 1500);
      assert.ok(await grants.find('fresh'));
      assert.ok(await grants.find('forever'));
    });
  });
}
