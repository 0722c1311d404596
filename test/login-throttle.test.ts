import assert from 'node:assert/strict';
import type { LoginThrottleSettings } from '../src/config/types.js';
import { migrateToLatest } from '../src/db/migrations.js';
import type { Database } from '../src/db/open-database.js';
import { userWithSecondFactorsByEmail } from '../src/accounts/users-repository.js';
import { addressKey } from '../src/login-throttle/address-key.js';
import { deviceTokens } from '../src/login-throttle/device-tokens.js';
import { createLoginThrottle, type LoginThrottle, type LoginSource } from '../src/login-throttle/login-throttle.js';
import { createTestDatabase, testEngines, type TestDatabase } from './helpers/test-database.js';

const SECRET = 'test-secret-that-is-long-enough-for-auth-connect';
const MINUTE = 60_000;
// the shipped defaults (config/schema): 10 at once, 10 an hour
const SETTINGS: LoginThrottleSettings = {
  per_account: { burst: 10, per_hour: 10 },
  per_address: { burst: 30, per_hour: 30 },
  known_device: { burst: 10, per_hour: 10 },
  known_device_days: 90,
};

for (const engine of testEngines()) {
  describe(`login throttle on ${engine} (controlled clock)`, () => {
    let testDb: TestDatabase;
    let database: Database;
    let clock: number;
    let throttle: LoginThrottle;
    const wrong = () => Promise.resolve(undefined);
    const right = () => Promise.resolve('user');
    const guess = (email: string, source: LoginSource, verify: () => Promise<string | undefined> = wrong) => throttle.check(email, source, verify);
    const advance = (ms: number) => {
      clock += ms;
    };

    before(async () => {
      testDb = await createTestDatabase(engine);
      database = await testDb.open();
      await migrateToLatest(database.knex);
    });
    beforeEach(async () => {
      await database.knex('login_throttle_buckets').delete();
      clock = Date.parse('2026-11-26T08:00:00Z');
      throttle = createLoginThrottle({ db: database.knex, settings: SETTINGS, serverSecret: SECRET, now: () => new Date(clock) });
    });
    after(async () => {
      await database?.close();
      await testDb?.drop();
    });

    it('refills continuously: one more miss after a pause costs one guess, never a longer pause', async () => {
      const source = { address: '192.0.2.1' };
      for (let i = 0; i < 10; i++) assert.equal((await guess('a@example.com', source)).outcome, 'failed');
      const paused = await guess('a@example.com', source);
      assert.deepEqual(paused, { outcome: 'paused', retryAfterSeconds: 360 }, 'one guess back every 6 minutes');
      // the seed's lockout re-armed on every miss after expiry; here each miss spends what has refilled
      for (let round = 0; round < 5; round++) {
        advance(6 * MINUTE);
        assert.equal((await guess('a@example.com', source)).outcome, 'failed', `round ${round}: one guess after 6 minutes`);
        assert.equal((await guess('a@example.com', source)).outcome, 'paused');
      }
      advance(60 * MINUTE);
      const afterAnHour = [];
      for (let i = 0; i < 11; i++) afterAnHour.push((await guess('a@example.com', source)).outcome);
      assert.deepEqual(afterAnHour, [...Array(10).fill('failed'), 'paused'], 'an hour later the whole burst is back');
    });

    it('keeps 1,000 guesses from rotating addresses over two hours within burst + rate × time', async () => {
      let checked = 0;
      const start = clock;
      for (let i = 0; i < 1000; i++) {
        advance(7_200); // 1,000 guesses spread over two hours
        const outcome = (await guess('victim@example.com', { address: `198.51.100.${i % 250}` })).outcome;
        if (outcome === 'failed') checked++;
        const hours = (clock - start) / (60 * MINUTE);
        assert.ok(checked <= SETTINGS.per_account.burst + hours * SETTINGS.per_account.per_hour, `after ${i + 1} attempts: ${checked} checked`);
      }
      // burst 10 + 2 hours × 10; the 20th refill completes exactly at the last attempt, where rounding decides
      assert.ok(checked >= 29 && checked <= 30, `${checked} checked`);
    });

    it('lets a known device (and the session asking) in while strangers are paused; its own misses are budgeted apart', async () => {
      const signedIn = await guess('b@example.com', { address: '192.0.2.2' }, right);
      assert.equal(signedIn.outcome, 'passed');
      const token = signedIn.outcome === 'passed' ? signedIn.deviceToken : '';
      for (let i = 0; i < 10; i++) await guess('b@example.com', { address: `203.0.113.${i}` });
      assert.equal((await guess('b@example.com', { address: '192.0.2.9' }, right)).outcome, 'paused', 'a stranger with the right password waits');

      const known = await guess('b@example.com', { address: '192.0.2.9', deviceTokens: ['junk', token] }, right);
      assert.equal(known.outcome, 'passed');
      assert.ok(
        known.outcome === 'passed' && known.replacedDeviceToken === token && known.deviceToken.split('.')[0] === token.split('.')[0],
        'renewed, same device',
      );
      assert.equal(
        (await guess('b@example.com', { address: '192.0.2.9', sessionId: 'a-session' }, right)).outcome,
        'passed',
        'a signed-in session is known too',
      );

      const own = [];
      for (let i = 0; i < 11; i++) own.push((await guess('b@example.com', { address: '192.0.2.9', deviceTokens: [token] })).outcome);
      assert.deepEqual(own, [...Array(10).fill('failed'), 'paused'], 'a known device has its own burst, then counts as a stranger (paused)');
      assert.equal(
        (await guess('c@example.com', { address: '192.0.2.9', deviceTokens: [token] }, right)).outcome,
        'passed',
        'a device token means nothing for another account',
      );
    });

    it('pauses an address over every account, but takes nothing from an account when only the address is paused', async () => {
      for (let i = 0; i < 30; i++) await guess(`spray${i}@example.com`, { address: '192.0.2.3' });
      assert.equal((await guess('fresh@example.com', { address: '192.0.2.3' })).outcome, 'paused');
      const fresh = [];
      for (let i = 0; i < 11; i++) fresh.push((await guess('fresh@example.com', { address: `192.0.2.${100 + i}` })).outcome);
      assert.deepEqual(fresh, [...Array(10).fill('failed'), 'paused'], "the paused attempt spent none of the account's budget");
    });

    it('treats an unknown email exactly like an account, and gives a correct password its guess back', async () => {
      for (let i = 0; i < 10; i++) await guess('nobody@example.com', { address: `192.0.2.${i}` });
      assert.equal((await guess('nobody@example.com', { address: '192.0.2.50' })).outcome, 'paused');
      for (let i = 0; i < 25; i++) assert.equal((await guess('d@example.com', { address: '192.0.2.60' }, right)).outcome, 'passed', 'successes spend nothing');
    });

    it('gives the guess back when the check could not run (overload, database)', async () => {
      for (let i = 0; i < 10; i++) await assert.rejects(guess('e@example.com', { address: '192.0.2.7' }, () => Promise.reject(new Error('busy'))));
      assert.equal((await guess('e@example.com', { address: '192.0.2.7' })).outcome, 'failed');
    });

    it('hands verify the read it carried in the statement of its first take, also when a known device has spent its own budget', async () => {
      await database.knex('users').where({ email: 'carried@example.com' }).delete();
      const [user] = await database.knex('users').insert({ email: 'carried@example.com', password_hash: 'x', role: 'student' }).returning('*');
      const account = (email: string) => userWithSecondFactorsByEmail(email);
      const seen: unknown[] = [];
      const verifyAndKeep = (read: unknown) => {
        seen.push(read);
        return Promise.resolve(undefined);
      };
      await throttle.check('carried@example.com', { address: '192.0.2.70' }, verifyAndKeep, account('carried@example.com'));
      await throttle.check('nobody-here@example.com', { address: '192.0.2.70' }, verifyAndKeep, account('nobody-here@example.com'));
      assert.deepEqual(seen[0], { user, secondFactors: { totp: false, passkeys: 0, recoveryCodesLeft: 0 } }, 'the account, as the users table has it');
      assert.equal(seen[1], undefined, 'no account: undefined, not a row of nulls');

      // a device whose own budget is spent falls back to the shared buckets: the read still arrives once
      const signedIn = await throttle.check('carried@example.com', { address: '192.0.2.71' }, () => Promise.resolve('ok'));
      const token = signedIn.outcome === 'passed' ? signedIn.deviceToken : '';
      for (let i = 0; i < 10; i++) await throttle.check('carried@example.com', { address: '192.0.2.71', deviceTokens: [token] }, wrong);
      seen.length = 0;
      const fellBack = await throttle.check(
        'carried@example.com',
        { address: '192.0.2.72', deviceTokens: [token] },
        verifyAndKeep,
        account('carried@example.com'),
      );
      assert.equal(fellBack.outcome, 'failed', 'checked against the shared buckets, which still had room');
      assert.equal((seen[0] as { user: { id: string } }).user.id, user!.id);
    });

    (engine === 'postgres' ? it : it.skip)(
      'takes exactly the burst from 50 parallel guesses (row locks; the embedded database has no parallelism to test)',
      async () => {
        const outcomes = await Promise.all(Array.from({ length: 50 }, (_, i) => guess('race@example.com', { address: `192.0.2.${i}` })));
        assert.equal(outcomes.filter((o) => o.outcome === 'failed').length, 10);
      },
    );
  });
}

describe('device tokens and address keys', () => {
  it('recognise only their own email, unexpired and unaltered', () => {
    const tokens = deviceTokens(SECRET);
    const now = new Date('2026-11-26T08:00:00Z');
    const token = tokens.issue('a@example.com', now);
    assert.equal(tokens.recognise('a@example.com', [token], now, 90)?.token, token);
    assert.equal(tokens.recognise('b@example.com', [token], now, 90), undefined);
    assert.equal(tokens.recognise('a@example.com', [token], new Date(now.getTime() + 91 * 86_400_000), 90), undefined);
    assert.equal(deviceTokens('another-secret-that-is-long-enough-for-it').recognise('a@example.com', [token], now, 90), undefined);
    const [nonce, issued, mac] = token.split('.') as [string, string, string];
    assert.equal(tokens.recognise('a@example.com', [`${nonce}.${(parseInt(issued, 36) + 1).toString(36)}.${mac}`], now, 90), undefined);
  });

  it('name IPv4 as is and IPv6 by its /64', () => {
    assert.equal(addressKey('127.0.0.2'), '127.0.0.2');
    assert.equal(addressKey('::ffff:127.0.0.2'), '127.0.0.2');
    assert.equal(addressKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(addressKey('::1'), '0:0:0:0::/64');
  });
});
