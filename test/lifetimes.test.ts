import assert from 'node:assert/strict';
import { lifetimes } from '../src/oidc/lifetimes.js';
import { loadConfig } from '../src/config/load-config.js';
import { configDirWith } from './helpers/config-dir.js';

describe('token lifetimes', () => {
  const auth = (jwt: object) => loadConfig({ CONFIG_DIR: configDirWith({ auth_config: { jwt } }) }).auth;

  it('gives access tokens access_token_expire_minutes, unless the API asks for shorter (API-key exchanges)', async () => {
    const l = lifetimes(auth({ access_token_expire_minutes: 15 }));
    assert.equal(l.AccessToken({}, {}), 900);
    assert.equal(l.ClientCredentials({}, {}), 900);
    assert.equal(l.AccessToken({}, { resourceServer: { accessTokenTTL: 300 } }), 300);
  });

  it('bounds a whole refresh chain by refresh_token_expire_days: a rotated token lives only what is left of it', async () => {
    const l = lifetimes(auth({ refresh_token_expire_days: 2 }));
    const now = Math.floor(Date.now() / 1000);
    assert.equal(l.RefreshToken({}, {}), 2 * 86_400, 'the first token of a chain');
    const left = l.RefreshToken({}, { iiat: now - 86_400 });
    assert.ok(left <= 86_400 && left >= 86_400 - 5, `a day into the chain, a day is left (got ${left} s)`);
    assert.equal(l.RefreshToken({}, { iiat: now - 10 * 86_400 }), 1, 'an exhausted chain gets the shortest life, never a negative one');
    assert.ok(l.Grant > 2 * 86_400, 'the grant outlives the chain');
  });
});
