import assert from 'node:assert/strict';
import type { Context } from 'koa';
import { adminQueries } from '../src/api/description/admin-api.js';
import { idPath } from '../src/api/description/id-path.js';
import { guard } from '../src/api/request-guard.js';

const request = (query: Record<string, string | string[]>, params: Record<string, string> = {}) => ({ query, params, request: {} }) as unknown as Context;
const sessions = guard({ query: adminQueries.sessions });
const refused = (query: Record<string, string | string[]>, message: RegExp) =>
  assert.throws(() => sessions(request(query)), { code: 'INVALID_REQUEST', message });

describe('request guard (query strings and path parameters)', () => {
  it('reads whole numbers written as plain digits, and fills in defaults', () => {
    assert.deepEqual(sessions(request({ limit: '5' })).query, { limit: 5, offset: 0 });
    assert.deepEqual(sessions(request({})).query, { limit: 50, offset: 0 });
  });

  it('refuses numbers in any other spelling (1e309 would be Infinity, 1e2 a hundred) and out of range', () => {
    for (const limit of ['1e309', '1e2', '5.0', '-1', ' 5', '0x10', 'Infinity', '']) refused({ limit }, /query parameter "limit" must be/);
    refused({ limit: '501' }, /query parameter "limit" must be at most 500/);
    refused({ offset: '1000000001' }, /query parameter "offset" must be at most 1000000000/);
  });

  it('refuses a parameter given twice, and a malformed UUID', () => {
    refused({ limit: ['5', '6'] }, /query parameter "limit" must be given once/);
    refused({ user_id: 'not-a-uuid' }, /query parameter "user_id" must be a UUID/);
  });

  it('ignores query parameters it does not know (caches and proxies add some)', () => {
    assert.deepEqual(sessions(request({ limit: '5', _: '123' })).query, { limit: 5, offset: 0 });
  });

  it('hands a path parameter on as text, bounded', () => {
    const byId = guard({ params: idPath });
    assert.equal(byId(request({}, { id: 'abc' })).params.id, 'abc');
    assert.throws(() => byId(request({}, { id: 'x'.repeat(201) })), { code: 'INVALID_REQUEST' });
  });
});
