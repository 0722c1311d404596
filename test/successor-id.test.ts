import assert from 'node:assert/strict';
import { newSuccessorSeed, successorIdFrom } from '../src/oidc/successor-id.js';

describe('successor id (a rotated refresh token is exchanged for a value computed from it and its seed)', () => {
  const successorOf = successorIdFrom('a-server-secret-that-is-long-enough-for-auth-connect');
  const seed = newSuccessorSeed();

  it('names one successor per token and seed, on every call and every instance with the same secret', () => {
    const again = successorIdFrom('a-server-secret-that-is-long-enough-for-auth-connect');
    assert.equal(successorOf('rotated-token', seed), successorOf('rotated-token', seed));
    assert.equal(again('rotated-token', seed), successorOf('rotated-token', seed));
  });

  it('gives another token, another seed, no seed or another secret another successor', () => {
    const successor = successorOf('rotated-token', seed);
    assert.notEqual(successorOf('rotated-tokem', seed), successor);
    assert.notEqual(successorOf('rotated-token', newSuccessorSeed()), successor);
    assert.notEqual(successorOf('rotated-token', null), successor);
    assert.notEqual(successorIdFrom('another-server-secret-that-is-long-enough')('rotated-token', seed), successor);
  });

  it('is 256 bits in base64url, like the provider’s own token values; seeds are 256 random bits', () => {
    assert.match(successorOf('rotated-token', seed), /^[A-Za-z0-9_-]{43}$/);
    assert.match(seed, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(newSuccessorSeed(), seed);
  });
});
