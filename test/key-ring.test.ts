import assert from 'node:assert/strict';
import path from 'node:path';
import { createLocalJWKSet, jwtVerify, importJWK, SignJWT, type JWK } from 'jose';
import { loadConfig } from '../src/config/load-config.js';
import type { AuthConfig } from '../src/config/types.js';
import type { Logger } from '../src/logger.js';
import { generateSigningKey } from '../src/keys/generate-signing-key.js';
import { KeyRing, type Repeat } from '../src/keys/key-ring.js';
import { keyView, rotateKeySet } from '../src/keys/key-schedule.js';
import type { PrivateKeySet } from '../src/keys/key-set-file.js';
import { publicKeys } from '../src/keys/public-keys.js';
import { packageRoot } from '../src/paths.js';

/**
 * The rotation schedule and the key ring on an injected clock: a whole rotation (15 minutes of
 * pre-publication, a 10-minute token lifetime, retirement) in well under a second, no processes, no database.
 * The end-to-end check with real processes and a real database is test/key-rotation.test.ts.
 */
const MINUTE = 60_000;
const T0 = Date.parse('2026-01-01T12:00:00Z');
const auth: AuthConfig = (() => {
  const shipped = loadConfig({ CONFIG_DIR: path.join(packageRoot, 'config'), JWT_SECRET: 'x'.repeat(40) }).auth;
  return {
    ...shipped,
    jwt: { ...shipped.jwt, algorithm: 'ES256', access_token_expire_minutes: 10 },
    signing_keys: { prepublish_seconds: 900, check_interval_seconds: 5 },
  };
})();
const PREPUBLISH = 900_000;
const RETIRE_AFTER = 10 * MINUTE + 300_000; // the default: the token lifetime plus 5 minutes
const INTERVAL = 5_000;

/** A clock and a timer queue that move only when told to. */
class FakeTime {
  now = T0;
  readonly #tasks: { every: number; next: number; task: () => void; stopped: boolean }[] = [];
  readonly repeat: Repeat = (ms, task) => {
    const entry = { every: ms, next: this.now + ms, task, stopped: false };
    this.#tasks.push(entry);
    return () => (entry.stopped = true);
  };
  /** Moves the clock to `until`, running each repeated task at its times, and lets what they started finish. */
  async advanceTo(until: number): Promise<void> {
    for (;;) {
      const due = this.#tasks.filter((t) => !t.stopped && t.next <= until).sort((a, b) => a.next - b.next)[0];
      if (!due) break;
      this.now = due.next;
      due.next += due.every;
      due.task();
      await settle();
    }
    this.now = until;
  }
}
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

const silent = { info() {}, warn() {}, error() {} } as unknown as Logger;
const logged = (lines: string[]) => ({ info() {}, warn() {}, error: (...args: unknown[]) => lines.push(String(args.at(-1))) }) as unknown as Logger;

async function initialSet(): Promise<PrivateKeySet> {
  const keys = await Promise.all((['ES256', 'RS256'] as const).map(generateSigningKey));
  return { keys, rotation: Object.fromEntries(keys.map((k) => [k.kid, { created_at: new Date(T0 - 86_400_000).toISOString() }])) };
}

const es256 = (set: PrivateKeySet) => set.keys.filter((k) => k.alg === 'ES256').map((k) => k.kid);

describe('the rotation schedule (injected clock)', () => {
  it('a rotated-in key is published at once, signs after prepublish_seconds, and the old key retires retire_after_seconds later', async () => {
    const before = await initialSet();
    const [oldKid] = es256(before);
    const { set, added } = await rotateKeySet(before, ['ES256', 'RS256'], auth, T0);
    const newKid = added.find((k) => k.alg === 'ES256')!.kid;
    const at = (ms: number) => keyView(set, 'ES256', ms);

    assert.equal(at(T0).status.get(newKid), 'pending');
    assert.equal(at(T0).keys[0]!.kid, oldKid, 'the old key still signs');
    assert.ok(
      at(T0).keys.some((k) => k.kid === newKid),
      'the new key is published at once',
    );
    assert.equal(at(T0 + PREPUBLISH - 1).keys[0]!.kid, oldKid);
    assert.equal(at(T0 + PREPUBLISH).keys[0]!.kid, newKid, 'the new key signs from sign_from');
    assert.equal(at(T0 + PREPUBLISH).status.get(oldKid!), 'published');
    assert.ok(
      at(T0 + PREPUBLISH + RETIRE_AFTER - 1).keys.some((k) => k.kid === oldKid),
      'the old key stays published until retire_at',
    );
    assert.ok(!at(T0 + PREPUBLISH + RETIRE_AFTER).keys.some((k) => k.kid === oldKid), 'and leaves then');
    assert.equal(at(T0 + PREPUBLISH + RETIRE_AFTER).status.get(oldKid!), 'retired');
    // the access-token key signs first: oidc-provider signs with the first key of an algorithm
    assert.equal(at(T0).keys[0]!.alg, 'ES256');
  });

  it('a second rotation drops the keys already retired and retires the current signer', async () => {
    const first = await rotateKeySet(await initialSet(), ['ES256', 'RS256'], auth, T0);
    const later = T0 + PREPUBLISH + RETIRE_AFTER + MINUTE;
    const second = await rotateKeySet(first.set, ['ES256', 'RS256'], auth, later);
    assert.equal(second.set.keys.length, 4, 'the two retired keys are gone, the two signers stay with a retire time, two are added');
    for (const key of first.added) assert.ok(second.set.rotation![key.kid]!.retire_at, `${key.alg} key ${key.kid} retires`);
  });
});

describe('the key ring (injected clock)', () => {
  it('two instances reading one store follow a rotation made by one of them within check_interval_seconds, and an API with a cached JWKS never fails a token', async () => {
    const time = new FakeTime();
    let stored = await initialSet(); // the signing_keys table both instances read
    const instance = () =>
      new KeyRing({ auth, log: silent, initial: structuredClone(stored), load: async () => structuredClone(stored), now: () => time.now, repeat: time.repeat });
    const a = instance();
    const b = instance();
    a.start();
    b.start();
    const [oldKid] = es256(stored);

    // an API that refreshes its JWKS every 5 minutes only (below prepublish_seconds), from either instance, as a load balancer sends it
    const API_CACHE_MS = 5 * MINUTE;
    let cached: { keys: JWK[]; fetchedAt: number } = { keys: publicKeys({ keys: a.view().keys }), fetchedAt: time.now };
    let fetches = 0;
    const apiVerify = async (token: string) => {
      if (time.now - cached.fetchedAt >= API_CACHE_MS) cached = { keys: publicKeys({ keys: (fetches++ % 2 ? a : b).view().keys }), fetchedAt: time.now };
      await jwtVerify(token, createLocalJWKSet({ keys: cached.keys }), { currentDate: new Date(time.now) });
    };
    const issue = async (ring: KeyRing) => {
      const key = ring.view().keys[0]!;
      const iat = Math.floor(time.now / 1000);
      const value = await new SignJWT({})
        .setProtectedHeader({ alg: key.alg, kid: key.kid })
        .setIssuedAt(iat)
        .setExpirationTime(iat + 600)
        .sign(await importJWK(key, key.alg));
      return { value, kid: key.kid, exp: (iat + 600) * 1000 };
    };

    // instance A rotates (the admin API: it writes the store, then refreshes at once); B only polls
    await time.advanceTo(T0 + 30_000);
    const rotatedAt = time.now;
    const rotation = await rotateKeySet(stored, ['ES256', 'RS256'], auth, rotatedAt);
    stored = rotation.set;
    const newKid = rotation.added.find((k) => k.alg === 'ES256')!.kid;
    await a.refresh();
    assert.ok(
      a.view().keys.some((k) => k.kid === newKid),
      'A publishes the new key at once',
    );

    const issued: { value: string; kid: string; exp: number }[] = [];
    const failures: string[] = [];
    let bPublishedAt = 0;
    let firstNewTokenAt = 0;
    let oldGoneAt = 0;
    let disagreeSince = 0;
    const end = rotatedAt + PREPUBLISH + RETIRE_AFTER + 11 * MINUTE;
    for (let step = 0; time.now < end; step++) {
      await time.advanceTo(time.now + 1_000);
      if (!bPublishedAt && b.view().keys.some((k) => k.kid === newKid)) bPublishedAt = time.now;
      const token = await issue(step % 2 ? a : b);
      issued.push(token);
      if (token.kid === newKid && !firstNewTokenAt) firstNewTokenAt = time.now;
      if (!oldGoneAt && !a.view().keys.some((k) => k.kid === oldKid) && !b.view().keys.some((k) => k.kid === oldKid)) oldGoneAt = time.now;
      // the token just issued, and the oldest one still valid (the last to depend on a key about to leave)
      const oldest = issued.find((t) => t.exp > time.now)!;
      for (const t of new Set([token, oldest]))
        await apiVerify(t.value).catch((error: Error) => failures.push(`${new Date(time.now).toISOString()} ${t.kid}: ${error.message}`));
      // the instances never disagree for longer than one check interval
      if (a.view().fingerprint === b.view().fingerprint) disagreeSince = 0;
      else {
        disagreeSince ||= time.now;
        assert.ok(time.now - disagreeSince <= INTERVAL, `A and B disagree for longer than a check interval at ${new Date(time.now).toISOString()}`);
      }
    }

    assert.deepEqual(failures, [], 'an API with a cached JWKS verified every token');
    assert.ok(
      bPublishedAt - rotatedAt <= INTERVAL,
      `B published the new key ${bPublishedAt - rotatedAt} ms after the rotation (check interval ${INTERVAL} ms)`,
    );
    assert.ok(firstNewTokenAt >= rotatedAt + PREPUBLISH, 'the new key signed only after its pre-publication time');
    assert.ok(firstNewTokenAt - (rotatedAt + PREPUBLISH) <= INTERVAL + 1_000, 'and soon after it');
    const lastOldExp = Math.max(...issued.filter((t) => t.kid === oldKid).map((t) => t.exp));
    assert.ok(oldGoneAt >= lastOldExp, 'the old key left only after every token it signed had expired');
    assert.ok(oldGoneAt - (rotatedAt + PREPUBLISH + RETIRE_AFTER) <= INTERVAL + 1_000, 'and left on schedule');
    a.stop();
    b.stop();
  });

  it('changes with time alone: a pending key starts signing at the first check after its sign_from, without any new read', async () => {
    const time = new FakeTime();
    const { set, added } = await rotateKeySet(await initialSet(), ['ES256', 'RS256'], auth, T0);
    const ring = new KeyRing({ auth, log: silent, initial: set, load: async () => set, now: () => time.now, repeat: time.repeat });
    const changes: string[] = [];
    ring.on('change', (view) => changes.push(view.keys[0]!.kid));
    ring.start();
    await time.advanceTo(T0 + PREPUBLISH - 1);
    assert.deepEqual(changes, []);
    await time.advanceTo(T0 + PREPUBLISH + INTERVAL);
    assert.deepEqual(changes, [added.find((k) => k.alg === 'ES256')!.kid], "one 'change': the provider is rebuilt once");
  });

  it('keeps the current keys when a read fails or brings no usable key, and says so', async () => {
    const time = new FakeTime();
    const initial = await initialSet();
    const errors: string[] = [];
    let load: () => Promise<PrivateKeySet> = async () => {
      throw new Error('connection refused');
    };
    const ring = new KeyRing({ auth, log: logged(errors), initial, load: () => load(), now: () => time.now, repeat: time.repeat });
    const before = ring.view().fingerprint;
    await ring.refresh();
    assert.equal(ring.view().fingerprint, before);
    assert.match(errors.join('\n'), /could not read the signing keys: connection refused; keeping the current ones/);
    load = async () => ({ keys: initial.keys.filter((k) => k.alg !== 'ES256') });
    await ring.refresh();
    assert.equal(ring.view().fingerprint, before);
    assert.match(errors.join('\n'), /no usable ES256 key; keeping the current keys/);
  });

  it('reads again when asked during a read: a change made meanwhile is not missed', async () => {
    const initial = await initialSet();
    let stored = initial;
    let reads = 0;
    let release: () => void = () => {};
    const ring = new KeyRing({
      auth,
      log: silent,
      initial,
      load: async () => {
        reads++;
        if (reads === 1) await new Promise<void>((resolve) => (release = resolve));
        return stored;
      },
    });
    const first = ring.refresh();
    stored = (await rotateKeySet(initial, ['ES256', 'RS256'], auth)).set;
    const second = ring.refresh(); // arrives while the first read is under way
    release();
    await Promise.all([first, second]);
    assert.equal(reads, 2);
    assert.equal(ring.view().keys.length, 4);
  });
});
