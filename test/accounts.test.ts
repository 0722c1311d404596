import assert from 'node:assert/strict';
import { assertEmailNotDeceptive } from '../src/accounts/deceptive-email.js';
import { normaliseEmail } from '../src/accounts/email.js';
import { mixesScripts } from '../src/accounts/mixed-script.js';
import { checkPasswordPolicy } from '../src/accounts/password-policy.js';
import { hashParameters, hashPassword, verifyPassword } from '../src/accounts/password-hashing.js';
import { loadConfig } from '../src/config/load-config.js';

const policy = loadConfig({}).auth.password;

describe('password policy', () => {
  it('accepts a password meeting every rule', () => assert.deepEqual(checkPasswordPolicy('Secret123', policy), []));

  it('answers with every rule not met', () => {
    assert.deepEqual(
      checkPasswordPolicy('abc', policy).map((v) => v.rule),
      ['min_length', 'require_uppercase', 'require_digit'],
    );
    assert.deepEqual(
      checkPasswordPolicy('ABCDEFGH', policy).map((v) => v.rule),
      ['require_lowercase', 'require_digit'],
    );
  });

  it('honours require_special and counts characters, not bytes', () => {
    const strict = { ...policy, require_special: true };
    assert.deepEqual(
      checkPasswordPolicy('Secret123', strict).map((v) => v.rule),
      ['require_special'],
    );
    assert.deepEqual(checkPasswordPolicy('Secret123!', strict), []);
    assert.deepEqual(checkPasswordPolicy('Ééééééé1', policy), []); // 8 characters, 15 bytes
  });

  it('refuses more than max_length characters, so nobody can make the server hash a megabyte', () => {
    assert.deepEqual(checkPasswordPolicy(`Aa1${'x'.repeat(125)}`, policy), []);
    assert.deepEqual(
      checkPasswordPolicy(`Aa1${'x'.repeat(126)}`, policy).map((v) => v.rule),
      ['max_length'],
    );
    assert.deepEqual(
      checkPasswordPolicy(`Aa1${'x'.repeat(1 << 20)}`, policy).map((v) => v.rule),
      ['max_length'],
    );
  });

  it('refuses a value that is not text', () =>
    assert.deepEqual(
      checkPasswordPolicy(12345678, policy).map((v) => v.rule),
      ['not_a_string'],
    ));
});

describe('argon2id hashing', () => {
  it('stores its parameters in the hash, at or above the OWASP minimum', async () => {
    const hash = await hashPassword('Secret123', policy.argon2);
    assert.match(hash, /^\$argon2id\$v=19\$(?=[^$]*m=19456)(?=[^$]*t=2)(?=[^$]*p=1)/);
    assert.deepEqual(hashParameters(hash), { algorithm: 'argon2id', memoryKib: 19456, iterations: 2, parallelism: 1 });
  });

  it('verifies the right password only, without truncating long ones', async () => {
    const long = `Aa1${'x'.repeat(100)}`;
    const hash = await hashPassword(long, policy.argon2);
    assert.equal((await verifyPassword(hash, long, policy.argon2)).valid, true);
    assert.equal((await verifyPassword(hash, `${long.slice(0, 80)}y${long.slice(81)}`, policy.argon2)).valid, false);
    assert.equal((await verifyPassword('not a hash', long, policy.argon2)).valid, false);
  });

  it('asks for a rehash when the configured parameters became stronger, not weaker', async () => {
    const hash = await hashPassword('Secret123', policy.argon2);
    const stronger = { ...policy.argon2, iterations: 3 };
    assert.deepEqual(await verifyPassword(hash, 'Secret123', stronger), { valid: true, needsRehash: true });
    const strongHash = await hashPassword('Secret123', stronger);
    assert.deepEqual(await verifyPassword(strongHash, 'Secret123', policy.argon2), { valid: true, needsRehash: false });
    assert.deepEqual(await verifyPassword(hash, 'wrong', stronger), { valid: false, needsRehash: false });
  });

  it('hashes and checks the NFC form, so a password typed in NFD matches', async () => {
    const hash = await hashPassword('S\u00e9cret123', policy.argon2);
    assert.deepEqual(await verifyPassword(hash, 'Se\u0301cret123', policy.argon2), { valid: true, needsRehash: false });
  });

  it('still verifies a hash made from the typed (NFD) form, and asks for it to be re-made', async () => {
    const argon2 = (await import('argon2')).default;
    const old = await argon2.hash('Se\u0301cret123', { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 });
    assert.deepEqual(await verifyPassword(old, 'Se\u0301cret123', policy.argon2), { valid: true, needsRehash: true });
    assert.deepEqual(await verifyPassword(old, 'Sx\u0301cret123', policy.argon2), { valid: false, needsRehash: false });
  });
});

describe('look-alike emails', () => {
  it('tells mixed scripts from single ones (UTS #39 highly restrictive)', () => {
    for (const mixed of ['\u0430dmin', 'p\u0430ypal', 'g\u03bfogle', '\u0430\u5c71']) assert.equal(mixesScripts(mixed), true, mixed);
    for (const single of [
      'admin',
      'ann.lee+tag',
      '\u0430\u0434\u043c\u0456\u043d',
      'm\u00fcller',
      '\u5c71\u7530taro',
      '\u3084\u307e\u3060\u5c71\u7530',
      '\u00e9l\u00e8ve-2',
    ])
      assert.equal(mixesScripts(single), false, single);
  });

  const strict = { allow_unicode_local_part: false };
  const open = { allow_unicode_local_part: true };
  const refuses = (email: string, rules: typeof strict) =>
    assert.throws(
      () => assertEmailNotDeceptive(normaliseEmail(email), rules),
      (e: Error & { code?: string }) => e.code === 'INVALID_EMAIL',
      email,
    );

  it('by default refuses anything but ASCII before the @', () => {
    refuses('\u0430dmin@example.com', strict);
    refuses('m\u00fcller@example.com', strict);
    assertEmailNotDeceptive(normaliseEmail('admin@b\u00fccher.de'), strict);
  });

  it('with allow_unicode_local_part, refuses only mixed scripts', () => {
    refuses('\u0430dmin@example.com', open);
    assertEmailNotDeceptive(normaliseEmail('m\u00fcller@example.com'), open);
    assertEmailNotDeceptive(normaliseEmail('\u0430\u0434\u043c\u0456\u043d@example.com'), open);
  });

  it('refuses a domain label that mixes scripts, whatever the switch', () => {
    refuses('admin@ex\u0430mple.com', open);
    refuses('admin@ex\u0430mple.com', strict);
  });
});

describe('email normalisation', () => {
  it('trims, lower-cases and NFKC-normalises: composed and decomposed accents, fullwidth letters are one address', () => {
    assert.equal(normaliseEmail('  Ann.Lee@Example.COM '), 'ann.lee@example.com');
    assert.equal(normaliseEmail('re\u0301my@example.com'), normaliseEmail('r\u00e9my@example.com'));
    assert.equal(normaliseEmail('\uff41dmin@example.com'), 'admin@example.com');
    assert.equal(normaliseEmail('\uff21\uff24\uff2d\uff29\uff2e@\uff45xample.com'), 'admin@example.com');
  });

  const refused: [string, unknown, RegExp][] = [
    ['not a string', 42, /must be a string/],
    ['empty', '   ', /is required/],
    ['without @', 'ann.example.com', /must look like name@example\.com/],
    ['without domain dot', 'ann@localhost', /must have a domain/],
    ['with a space', 'ann lee@example.com', /spaces, control or invisible/],
    ['with a zero-width space', 'ann\u200b@example.com', /spaces, control or invisible/],
    ['with a right-to-left override', 'ann\u202e@example.com', /spaces, control or invisible/],
    ['with a NUL byte', 'ann\u0000@example.com', /spaces, control or invisible/],
    ['longer than 254 characters', `${'a'.repeat(60)}@${'b'.repeat(190)}.com`, /at most 254 characters/],
    ['a local part over 64 characters', `${'a'.repeat(65)}@example.com`, /at most 64 characters before the @/],
    ['two dots in a row', 'ann..lee@example.com', /not allowed before the @/],
    ['SQL in it', "'OR'1'='1;--@example.com", /not allowed before the @/],
  ];
  for (const [name, input, expected] of refused) {
    it(`refuses an address ${name}`, () =>
      assert.throws(
        () => normaliseEmail(input),
        (e: Error & { code?: string }) => e.code === 'INVALID_EMAIL' && expected.test(e.message),
      ));
  }
});
