import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { RuntimeSettings } from '../src/config/types.js';
import { generateSigningKey } from '../src/keys/generate-signing-key.js';
import { KeyDecryptionError, openPrivateJwk, parseKeysEncryptionKey, resolveKeyEncryptionKey, sealPrivateJwk } from '../src/keys/key-encryption.js';

const runtime = (changes: Partial<RuntimeSettings>) => ({ dataDir: '/data', jwtSecret: 'j'.repeat(40), ...changes }) as RuntimeSettings;

describe('signing keys sealed at rest (AES-256-GCM)', () => {
  it('seals a private key so that its private parameters do not appear, and opens it again with the same key', async () => {
    const kek = resolveKeyEncryptionKey(runtime({ keysEncryptionKey: randomBytes(32).toString('base64url') }), () => assert.fail('not needed'));
    for (const alg of ['ES256', 'RS256'] as const) {
      const key = await generateSigningKey(alg);
      const sealed = sealPrivateJwk(kek, key.kid, key);
      assert.match(sealed, /^v1\.[\w-]{16}\.[\w-]+\.[\w-]{22}$/);
      assert.ok(!sealed.includes(key.d!) && !sealed.includes('"d"'), 'no plaintext d');
      assert.deepEqual(openPrivateJwk(kek, key.kid, sealed, kek.id), key);
      assert.notEqual(sealPrivateJwk(kek, key.kid, key), sealed, 'a fresh IV each time');
    }
  });

  it('refuses another key-encryption key, a sealed key moved to another kid, and an altered one, each with one line', async () => {
    const key = await generateSigningKey('ES256');
    const kek = resolveKeyEncryptionKey(runtime({}), () => 'a'.repeat(40));
    const sealed = sealPrivateJwk(kek, key.kid, key);
    const other = resolveKeyEncryptionKey(runtime({ keysEncryptionKey: randomBytes(32).toString('base64') }), () => 'a'.repeat(40));
    const refusal = (open: () => unknown) => {
      try {
        open();
      } catch (error) {
        assert.ok(error instanceof KeyDecryptionError);
        assert.doesNotMatch(error.message, /\n/);
        return error.message;
      }
      return assert.fail('opened');
    };
    assert.match(
      refusal(() => openPrivateJwk(other, key.kid, sealed, kek.id)),
      /encrypted with another key-encryption key than this server's \(KEYS_ENCRYPTION_KEY\)/,
    );
    assert.match(
      refusal(() => openPrivateJwk(kek, 'another-kid', sealed, kek.id)),
      /cannot be decrypted with a key derived from JWT_SECRET: it was altered or damaged/,
    );
    const [v, iv, ciphertext, tag] = sealed.split('.');
    const flipped = `${ciphertext!.slice(0, -2)}${ciphertext!.at(-2) === 'A' ? 'B' : 'A'}${ciphertext!.at(-1)}`;
    assert.match(
      refusal(() => openPrivateJwk(kek, key.kid, [v, iv, flipped, tag].join('.'), kek.id)),
      /altered or damaged/,
    );
  });

  it('derives the key from the server secret when KEYS_ENCRYPTION_KEY is unset: the same secret gives the same key on every instance', () => {
    const a = resolveKeyEncryptionKey(runtime({}), () => 's'.repeat(40));
    const b = resolveKeyEncryptionKey(runtime({ dataDir: '/elsewhere' }), () => 's'.repeat(40));
    const c = resolveKeyEncryptionKey(runtime({}), () => 't'.repeat(40));
    assert.equal(a.id, b.id);
    assert.notEqual(a.id, c.id);
    assert.ok(!a.key.equals(Buffer.from('s'.repeat(32))), 'not the secret itself');
  });

  it('takes KEYS_ENCRYPTION_KEY as 32 bytes in base64 or base64url, and names the format otherwise', () => {
    const bytes = randomBytes(32);
    assert.ok(parseKeysEncryptionKey(bytes.toString('base64')).equals(bytes));
    assert.ok(parseKeysEncryptionKey(bytes.toString('base64url')).equals(bytes));
    for (const bad of [randomBytes(16).toString('base64'), 'not a key at all!', 'x'.repeat(40)]) {
      assert.throws(
        () => parseKeysEncryptionKey(bad),
        /^ConfigError: KEYS_ENCRYPTION_KEY: must be 32 random bytes in base64 or base64url \(for example: openssl rand -base64 32\)/,
      );
    }
  });
});
