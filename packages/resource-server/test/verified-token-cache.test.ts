import assert from 'node:assert/strict';
import { VerifiedTokenCache } from '../src/verified-token-cache.js';

describe('resource-server VerifiedTokenCache', () => {
  let now: number;
  const clock = () => now;
  beforeEach(() => {
    now = 1_000_000;
  });

  it('serves an entry until its expiry and never at or after it', () => {
    const cache = new VerifiedTokenCache<string>(10, clock);
    cache.set('token-a', 'claims-a', now + 5_000);
    now += 4_999;
    assert.equal(cache.get('token-a'), 'claims-a');
    now += 1;
    assert.equal(cache.get('token-a'), undefined);
    assert.equal(cache.size, 0, 'an expired entry is dropped when met');
  });

  it('does not keep a token already expired', () => {
    const cache = new VerifiedTokenCache<string>(10, clock);
    cache.set('late', 'claims', now - 1);
    cache.set('now', 'claims', now);
    assert.equal(cache.size, 0);
  });

  it('holds at most maxEntries, evicting the least recently used', () => {
    const cache = new VerifiedTokenCache<string>(3, clock);
    for (const name of ['a', 'b', 'c']) cache.set(name, name.toUpperCase(), now + 60_000);
    assert.equal(cache.get('a'), 'A');
    cache.set('d', 'D', now + 60_000);
    assert.equal(cache.size, 3);
    assert.equal(cache.get('b'), undefined);
    assert.deepEqual(
      ['a', 'c', 'd'].map((name) => cache.get(name)),
      ['A', 'C', 'D'],
    );
  });

  it('keeps nothing when maxEntries is 0', () => {
    const cache = new VerifiedTokenCache<string>(0, clock);
    cache.set('a', 'A', now + 60_000);
    assert.equal(cache.get('a'), undefined);
  });

  it('replaces an entry set twice instead of counting it twice', () => {
    const cache = new VerifiedTokenCache<string>(2, clock);
    cache.set('a', 'A1', now + 60_000);
    cache.set('a', 'A2', now + 60_000);
    cache.set('b', 'B', now + 60_000);
    assert.deepEqual([cache.get('a'), cache.get('b'), cache.size], ['A2', 'B', 2]);
  });

  it('evicts by second chance: the oldest entry goes unless it was used since eviction last passed it, over thousands of steps and a clear', () => {
    const cache = new VerifiedTokenCache<string>(7, clock);
    // the model: oldest first, each with its mark
    const model: { token: string; used: boolean }[] = [];
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    for (let step = 0; step < 5_000; step++) {
      if (step === 2_500) {
        cache.clear();
        model.length = 0;
      }
      const token = `t${random(20)}`;
      const held = model.find((entry) => entry.token === token);
      if (random(2) === 0) {
        assert.equal(cache.get(token), held ? token.toUpperCase() : undefined, `step ${step}: get ${token}`);
        if (held) held.used = true;
      } else if (held) {
        cache.set(token, token.toUpperCase(), now + 60_000);
        held.used = true;
      } else {
        cache.set(token, token.toUpperCase(), now + 60_000);
        while (model.length >= 7) {
          const oldest = model.shift()!;
          if (oldest.used) model.push({ token: oldest.token, used: false });
        }
        model.push({ token, used: false });
      }
      assert.equal(cache.size, model.length, `step ${step}: size`);
    }
  });
});
