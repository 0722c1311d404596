import assert from 'node:assert/strict';
import { generate } from 'otplib';
import { createAccount, type UserRow } from '../src/accounts/accounts-service.js';
import { loadConfig } from '../src/config/load-config.js';
import type { Config } from '../src/config/types.js';
import { migrateToLatest } from '../src/db/migrations.js';
import type { Database } from '../src/db/open-database.js';
import { resetSecondFactorsAs } from '../src/mfa/mfa-administration.js';
import { completePendingLogin, pendingLogin, startPendingLogin } from '../src/mfa/pending-logins.js';
import { insertPasskey } from '../src/mfa/passkeys-repository.js';
import {
  confirmTotpEnrolment,
  regenerateRecoveryCodes,
  removeTotp,
  secondFactorsOf,
  startTotpEnrolment,
  verifySecondFactorCode,
  type MfaContext,
} from '../src/mfa/second-factors-service.js';
import { totpSealingKey } from '../src/mfa/totp-secret-seal.js';
import { CLI_CALLER } from '../src/rbac/caller.js';
import { createTestDatabase, testEngines, type TestDatabase } from './helpers/test-database.js';

const ORIGIN = { via: 'account_page', ip: '127.0.0.1', userAgent: 'test' } as const;
const codeAt = (secret: string, seconds: number) => generate({ secret, epoch: seconds });
const now = () => Math.floor(Date.now() / 1000);

/** The second-factor services on a real database: TOTP, recovery codes, pending sign-ins, the admin reset. */
for (const engine of testEngines()) {
  describe(`second factors (services) on ${engine}`, function () {
    this.timeout(60_000);
    let testDb: TestDatabase;
    let database: Database;
    let config: Config;
    let ctx: MfaContext;
    let n = 0;

    before(async () => {
      testDb = await createTestDatabase(engine);
      database = await testDb.open();
      await migrateToLatest(database.knex);
      config = loadConfig({ ...testDb.env, JWT_SECRET: 'test-secret-that-is-long-enough-for-auth-connect' });
      ctx = { db: database.knex, config, totpKey: totpSealingKey({ key: Buffer.alloc(32, 7) }) };
    });
    after(async () => {
      await database?.close();
      await testDb?.drop();
    });

    const newUser = (role = 'student'): Promise<UserRow> => createAccount(ctx, { email: `user${++n}@example.com`, password: 'Secret123', role });
    const events = async (userId: string) => (await ctx.db('audit_events').where({ user_id: userId }).orderBy('id')).map((row) => row.event as string);

    async function enrolled(user: UserRow) {
      const { secret } = await startTotpEnrolment(ctx, user);
      // a code from the step before, so the tests' "current" codes are still unused
      const { recoveryCodes } = await confirmTotpEnrolment(ctx, user, await codeAt(secret, now() - 30), ORIGIN);
      return { secret, recoveryCodes: recoveryCodes! };
    }

    it('an authenticator app counts only once a code confirms it; the secret is stored sealed, never in clear', async () => {
      const user = await newUser();
      const enrolment = await startTotpEnrolment(ctx, user);
      assert.match(enrolment.otpauthUri, /^otpauth:\/\/totp\//);
      assert.match(enrolment.qrCode, /^data:image\/svg\+xml;base64,/);
      assert.equal((await secondFactorsOf(ctx, user.id)).totp, false, 'not in force before it is confirmed');
      const row = await ctx.db('mfa_totp').where({ user_id: user.id }).first();
      assert.ok(!JSON.stringify(row).includes(enrolment.secret), 'the secret is not stored in clear');
      await assert.rejects(confirmTotpEnrolment(ctx, user, '000000', ORIGIN), { code: 'INVALID_MFA_CODE' });
      const { recoveryCodes } = await confirmTotpEnrolment(ctx, user, await codeAt(enrolment.secret, now()), ORIGIN);
      assert.equal(recoveryCodes?.length, 10, 'the first second factor brings ten recovery codes');
      assert.deepEqual(await secondFactorsOf(ctx, user.id), { totp: true, passkeys: 0, recoveryCodesLeft: 10 });
      const stored = (await ctx.db('mfa_recovery_codes').where({ user_id: user.id })).map((r) => r.code_hash as string);
      assert.ok(
        recoveryCodes!.every((code) => !stored.includes(code)),
        'recovery codes are stored only hashed',
      );
      await assert.rejects(startTotpEnrolment(ctx, user), { code: 'MFA_ALREADY_ENROLLED' });
      assert.deepEqual(await events(user.id), ['mfa.totp.enrolled']);
    });

    it('a code is accepted once (a replay is refused), within ±1 step; an older code is refused', async () => {
      const user = await newUser();
      const { secret } = await enrolled(user);
      const current = await codeAt(secret, now());
      assert.equal(await verifySecondFactorCode(ctx, user, current, ORIGIN), 'totp');
      assert.equal(await verifySecondFactorCode(ctx, user, current, ORIGIN), undefined, 'the same code again is a replay');
      assert.equal(await verifySecondFactorCode(ctx, user, await codeAt(secret, now() - 90), ORIGIN), undefined, 'a code three steps old has expired');
      assert.equal(await verifySecondFactorCode(ctx, user, await codeAt(secret, now() + 30), ORIGIN), 'totp', 'the next step is within the window');
      assert.equal(await verifySecondFactorCode(ctx, user, '12345', ORIGIN), undefined);
    });

    it('each recovery code works once; its use is audited with how many are left; regenerating replaces them all', async () => {
      const user = await newUser();
      const { recoveryCodes } = await enrolled(user);
      const typed = recoveryCodes[0]!.toLowerCase().replaceAll('-', ' ');
      assert.equal(await verifySecondFactorCode(ctx, user, typed, ORIGIN), 'recovery_code', 'case, dashes and spaces do not matter');
      assert.equal(await verifySecondFactorCode(ctx, user, recoveryCodes[0], ORIGIN), undefined, 'a used code is refused');
      const used = await ctx.db('audit_events').where({ user_id: user.id, event: 'mfa.recovery_code.used' }).first();
      assert.equal(used.details.recovery_codes_left, 9);
      const fresh = await regenerateRecoveryCodes(ctx, user, ORIGIN);
      assert.equal(await verifySecondFactorCode(ctx, user, recoveryCodes[1], ORIGIN), undefined, 'old codes are gone');
      assert.equal(await verifySecondFactorCode(ctx, user, fresh[0], ORIGIN), 'recovery_code');
    });

    it('removing the last second factor removes the recovery codes; the admin reset removes everything and is audited with its actor', async () => {
      const user = await newUser();
      await enrolled(user);
      assert.equal(await removeTotp(ctx, user, ORIGIN), true);
      assert.deepEqual(await secondFactorsOf(ctx, user.id), { totp: false, passkeys: 0, recoveryCodesLeft: 0 });
      await assert.rejects(regenerateRecoveryCodes(ctx, user, ORIGIN), { code: 'MFA_NOT_ENROLLED' });

      await enrolled(user);
      await insertPasskey(ctx.db, {
        userId: user.id,
        credentialId: `cred-${user.id}`,
        publicKey: 'pk',
        signCount: 0,
        transports: ['internal'],
        deviceType: 'singleDevice',
        backedUp: false,
        name: 'laptop',
      });
      const token = await startPendingLogin(ctx.db, { userId: user.id, clientId: null, amr: ['pwd'] });
      const reset = await resetSecondFactorsAs(ctx, CLI_CALLER, user.id, { via: 'cli' });
      assert.deepEqual(reset, { totp_removed: true, passkeys_removed: 1, recovery_codes_removed: 10 });
      assert.deepEqual(await secondFactorsOf(ctx, user.id), { totp: false, passkeys: 0, recoveryCodesLeft: 0 });
      assert.equal(await pendingLogin(ctx.db, token), undefined, 'a sign-in waiting for a second factor ends');
      const row = await ctx.db('audit_events').where({ user_id: user.id, event: 'mfa.reset' }).first();
      assert.equal(row.actor_type, 'cli');
    });

    it('a pending sign-in is found by its token alone and completes once', async () => {
      const user = await newUser();
      const token = await startPendingLogin(ctx.db, { userId: user.id, clientId: 'app', amr: ['pwd'] });
      assert.deepEqual(await pendingLogin(ctx.db, token), { userId: user.id, clientId: 'app', amr: ['pwd'] });
      assert.equal(await pendingLogin(ctx.db, `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`), undefined, 'another token is not it');
      assert.equal(await completePendingLogin(ctx.db, token), true);
      assert.equal(await completePendingLogin(ctx.db, token), false);
      assert.equal(await pendingLogin(ctx.db, token), undefined);
    });
  });
}
