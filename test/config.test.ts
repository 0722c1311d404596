import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/load-config.js';
import { ConfigError } from '../src/errors.js';
import { packageRoot } from '../src/paths.js';

const shipped = path.join(packageRoot, 'config');
const read = (file: string) => JSON.parse(readFileSync(path.join(shipped, file), 'utf8')) as Record<string, any>;

describe('configuration', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ac-config-'));
    cpSync(shipped, dir, { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (file: string, value: unknown) => writeFileSync(path.join(dir, file), typeof value === 'string' ? value : JSON.stringify(value));
  const load = (env: Record<string, string> = {}) => loadConfig({ CONFIG_DIR: dir, ...env });
  const failure = (env: Record<string, string> = {}): string => {
    try {
      load(env);
    } catch (error) {
      assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
      assert.ok(!error.message.includes('\n'), 'the message is one line');
      return error.message;
    }
    assert.fail('the configuration was accepted');
  };
  const withAuth = (mutate: (auth: Record<string, any>) => void) => {
    const auth = read('auth_config.json');
    mutate(auth);
    write('auth_config.json', auth);
  };

  it('loads the shipped files with the defaults users expect', () => {
    const config = load();
    assert.deepEqual(config.auth.jwt, { algorithm: 'ES256', access_token_expire_minutes: 30, refresh_token_expire_days: 7 });
    assert.equal(config.auth.password.min_length, 8);
    assert.deepEqual(config.auth.password.argon2, { memory_kib: 19456, iterations: 2, parallelism: 1 });
    assert.deepEqual(config.auth.session, { max_sessions_per_user: 5, session_timeout_minutes: 60 });
    assert.deepEqual(Object.keys(config.roles.roles), ['admin', 'instructor', 'student', 'guest']);
    assert.equal(config.runtime.issuer, 'http://localhost:3000');
    assert.equal(config.runtime.databaseUrl, undefined);
  });

  it('fills every default when auth_config.json is an empty object', () => {
    write('auth_config.json', {});
    assert.equal(load().auth.jwt.algorithm, 'ES256');
    assert.equal(load().auth.registration.default_role, 'student');
  });

  it('lets environment variables override the file', () => {
    const config = load({
      PORT: '4100',
      JWT_ALGORITHM: 'RS256',
      ACCESS_TOKEN_EXPIRE_MINUTES: '5',
      REFRESH_TOKEN_EXPIRE_DAYS: '2',
      ISSUER: 'https://id.example.com/',
    });
    assert.equal(config.runtime.port, 4100);
    assert.equal(config.auth.jwt.algorithm, 'RS256');
    assert.equal(config.auth.jwt.access_token_expire_minutes, 5);
    assert.equal(config.auth.jwt.refresh_token_expire_days, 2);
    assert.equal(config.runtime.issuer, 'https://id.example.com');
  });

  it('reads WORKERS: unset is one process, auto one per core', () => {
    assert.equal(load().runtime.workers, 1);
    assert.equal(load({ WORKERS: '3' }).runtime.workers, 3);
    assert.equal(load({ WORKERS: 'auto' }).runtime.workers, availableParallelism());
  });

  it('reads UNSAFE_TEST_PASSWORD_HASHING: unset keeps password.argon2, true puts the test cost in its place', () => {
    assert.deepEqual(load().auth.password.argon2, { memory_kib: 19456, iterations: 2, parallelism: 1 });
    assert.equal(load().runtime.testPasswordHashing, undefined);
    const cheap = load({ UNSAFE_TEST_PASSWORD_HASHING: 'true' });
    assert.deepEqual(cheap.auth.password.argon2, { memory_kib: 1024, iterations: 1, parallelism: 1 });
    assert.equal(cheap.runtime.testPasswordHashing, true);
    assert.deepEqual(load({ UNSAFE_TEST_PASSWORD_HASHING: 'false' }).auth.password.argon2.memory_kib, 19456);
  });

  describe('refuses, naming the variable', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ JWT_ALGORITHM: 'HS256' }, /^JWT_ALGORITHM=HS256 is refused: APIs verify tokens through the JWKS.*ES256 \(default\), RS256, PS256 or EdDSA$/],
      [{ JWT_ALGORITHM: 'none' }, /^JWT_ALGORITHM=none: jwt\.algorithm must be one of ES256, RS256, PS256, EdDSA \(got "none"\)$/],
      [{ PORT: 'abc' }, /^PORT=abc: must be a whole number$/],
      [{ PORT: '70000' }, /^PORT=70000: server\.port must be at most 65535 \(got 70000\)$/],
      [{ ACCESS_TOKEN_EXPIRE_MINUTES: '0' }, /^ACCESS_TOKEN_EXPIRE_MINUTES=0: jwt\.access_token_expire_minutes must be at least 1/],
      [{ REFRESH_TOKEN_EXPIRE_DAYS: '1.5' }, /^REFRESH_TOKEN_EXPIRE_DAYS=1\.5: must be a whole number$/],
      [{ ISSUER: 'id.example.com' }, /^ISSUER=id\.example\.com: server\.issuer has an invalid format/],
      [{ TRUST_PROXY: 'maybe' }, /^TRUST_PROXY=maybe: must be true or false$/],
      [{ DATABASE_URL: 'mysql://db/x' }, /^DATABASE_URL: must start with postgres:\/\//],
      [{ DATABASE_URL: 'not a url' }, /^DATABASE_URL: not a URL/],
      [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL=loud: must be one of fatal, error, warn, info, debug, trace, silent$/],
      [{ JWT_SECRET: 'short' }, /^JWT_SECRET: must be at least 32 characters/],
      [{ WORKERS: 'many' }, /^WORKERS=many: must be a number of server processes from 1 to 256, or auto \(one per core: \d+ here\)$/],
      [{ WORKERS: '0' }, /^WORKERS=0: must be a number of server processes/],
      [{ WORKERS: '1.5' }, /^WORKERS=1\.5: must be a number of server processes/],
      [{ UNSAFE_TEST_PASSWORD_HASHING: 'maybe' }, /^UNSAFE_TEST_PASSWORD_HASHING=maybe: must be true or false$/],
      [
        { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), UNSAFE_TEST_PASSWORD_HASHING: 'true' },
        /^UNSAFE_TEST_PASSWORD_HASHING is refused when NODE_ENV=production/,
      ],
      [{ NODE_ENV: 'production', ISSUER: 'http://id.example.com' }, /^ISSUER=http:\/\/id\.example\.com: must be an https:\/\/ URL when NODE_ENV=production/],
    ];
    for (const [env, expected] of cases) {
      it(
        Object.entries(env)
          .map(([k, v]) => `${k}=${v}`)
          .join(' '),
        () => assert.match(failure(env), expected),
      );
    }
  });

  describe('refuses, naming the file and the field', () => {
    const cases: [string, (auth: Record<string, any>) => void, RegExp][] = [
      [
        'a typo in a key',
        (a) => (a.jwt.algoritm = 'ES256'),
        /auth_config\.json: unknown key "jwt\.algoritm"; allowed here: algorithm, access_token_expire_minutes, refresh_token_expire_days$/,
      ],
      [
        'an unknown section',
        (a) => (a.sesion = {}),
        /auth_config\.json: unknown key "sesion"; allowed here: jwt, password, api_keys, session, server, registration, /,
      ],
      ['HS256 in the file', (a) => (a.jwt.algorithm = 'HS256'), /auth_config\.json: jwt\.algorithm "HS256" is refused: APIs verify tokens through the JWKS/],
      [
        'a string for a number',
        (a) => (a.jwt.access_token_expire_minutes = '30'),
        /auth_config\.json: jwt\.access_token_expire_minutes must be an integer \(got "30"\)$/,
      ],
      [
        'a weak argon2 setting',
        (a) => (a.password.argon2 = { memory_kib: 4096 }),
        /auth_config\.json: password\.argon2\.memory_kib must be at least 19456 \(got 4096\)$/,
      ],
      ['min_length below 8', (a) => (a.password.min_length = 4), /auth_config\.json: password\.min_length must be at least 8 \(got 4\)$/],
      [
        'min_length above max_length',
        (a) => Object.assign(a.password, { min_length: 100, max_length: 64 }),
        /password\.min_length \(100\) is greater than password\.max_length \(64\)$/,
      ],
      ['a boolean as text', (a) => (a.password.require_digit = 'yes'), /auth_config\.json: password\.require_digit must be a boolean \(got "yes"\)$/],
      [
        'a default role that does not exist',
        (a) => (a.registration = { default_role: 'teacher' }),
        /registration\.default_role "teacher" is not a role in roles\.json \(roles: admin, instructor, student, guest\)$/,
      ],
      [
        'a second factor required of a role that does not exist',
        (a) => (a.mfa = { required_for_roles: ['admin', 'root'] }),
        /mfa\.required_for_roles names root, not a role in roles\.json \(roles: admin, instructor, student, guest\)$/,
      ],
      ['sessions per user of 0', (a) => (a.session.max_sessions_per_user = 0), /session\.max_sessions_per_user must be at least 1 \(got 0\)$/],
    ];
    for (const [name, mutate, expected] of cases) {
      it(name, () => {
        withAuth(mutate);
        assert.match(failure(), expected);
      });
    }

    it('invalid JSON', () => {
      write('auth_config.json', '{ "jwt": { "algorithm": "ES256", } }');
      assert.match(failure(), /^config\/auth_config\.json: not valid JSON|auth_config\.json: not valid JSON \(/);
    });

    it('a missing roles.json', () => {
      rmSync(path.join(dir, 'roles.json'));
      assert.match(failure(), /roles\.json: cannot be read \(ENOENT\); set CONFIG_DIR to the folder that holds it$/);
    });

    it('a role name with capitals and a permission with spaces', () => {
      write('roles.json', { roles: { Admin: { permissions: ['read'] } } });
      assert.match(failure(), /roles\.json: roles has an invalid format|roles\.json: roles\.Admin/);
      write('roles.json', { roles: { admin: { permissions: ['read all'] } } });
      assert.match(failure(), /roles\.json: roles\.admin\.permissions\[0\] has an invalid format \(got "read all"\)/);
    });

    it('roles without permissions', () => {
      write('roles.json', { roles: { admin: { description: 'x' } } });
      assert.match(failure(), /roles\.json: "roles\.admin\.permissions" is required$/);
    });

    const client = { client_id: 'app', grant_types: ['client_credentials'], client_secret_hash: `sha256:${'a'.repeat(43)}` };
    const clientCases: [string, unknown[], RegExp][] = [
      ['a duplicate client_id', [client, client], /clients\.json: clients\[1\]\.client_id "app" is used twice$/],
      [
        'a confidential client without secret hash',
        [{ ...client, client_secret_hash: undefined }],
        /clients\[0\]\.client_secret_hash: required for client_secret_basic; make one with "auth-connect client hash-secret"$/,
      ],
      [
        'a permission no role has',
        [{ ...client, permissions: ['read', 'fly'] }],
        /clients\[0\]\.permissions: fly is not a permission of any role in roles\.json$/,
      ],
      [
        'an authorization_code client without redirect URIs',
        [{ ...client, grant_types: ['authorization_code'] }],
        /clients\[0\]\.redirect_uris: an authorization_code client needs at least one redirect URI$/,
      ],
      [
        'an unknown grant type',
        [{ ...client, grant_types: ['password'] }],
        /clients\[0\]\.grant_types\[0\] must be one of authorization_code, refresh_token, client_credentials, urn:ietf:params:oauth:grant-type:device_code \(got "password"\)$/,
      ],
      [
        'a redirect URI that is not a URI',
        [{ ...client, grant_types: ['authorization_code'], redirect_uris: ['not a uri'] }],
        /clients\[0\]\.redirect_uris\[0\] must be a valid uri \(got "not a uri"\)$/,
      ],
      ['a missing client_id', [{ grant_types: ['client_credentials'] }], /clients\.json: "clients\[0\]\.client_id" is required$/],
    ];
    for (const [name, clients, expected] of clientCases) {
      it(`clients.json: ${name}`, () => {
        write('clients.json', { clients });
        assert.match(failure(), expected);
      });
    }
  });
});
