import assert from 'node:assert/strict';
import { successorSeal } from '../src/oidc/successor-seal.js';

describe('successor seal (a rotated refresh token remembers its successor encrypted)', () => {
  const seal = successorSeal('a-server-secret-that-is-long-enough-for-auth-connect');

  it('opens what it sealed, for the same row only', () => {
    const sealed = seal.seal('rotated-token', 'successor-token');
    assert.ok(!sealed.includes('successor-token'), 'not in clear');
    assert.equal(seal.open('rotated-token', sealed), 'successor-token');
    assert.equal(seal.open('another-rotated-token', sealed), undefined, 'moved to another row, it does not open');
  });

  it('never seals one value the same way twice', () => {
    assert.notEqual(seal.seal('rotated-token', 'successor-token'), seal.seal('rotated-token', 'successor-token'));
  });

  it('does not open under another server secret, nor when altered or cut short', () => {
    const sealed = seal.seal('rotated-token', 'successor-token');
    assert.equal(successorSeal('another-server-secret-that-is-long-enough').open('rotated-token', sealed), undefined);
    const bytes = Buffer.from(sealed, 'base64url');
    bytes[bytes.length - 1]! ^= 1;
    assert.equal(seal.open('rotated-token', bytes.toString('base64url')), undefined);
    const [version, iv, ciphertext, tag] = sealed.split('.') as [string, string, string, string];
    const otherFirst = ciphertext[0] === 'A' ? 'B' : 'A';
    assert.equal(seal.open('rotated-token', [version, iv, otherFirst + ciphertext.slice(1), tag].join('.')), undefined, 'an altered ciphertext');
    assert.equal(seal.open('another-rotated-token', sealed), undefined, 'sealed for another row');
    assert.equal(seal.open('rotated-token', sealed.slice(0, 30)), undefined);
    assert.equal(seal.open('rotated-token', ''), undefined);
  });
});
