import assert from 'node:assert/strict';
import { newClientId } from '../src/clients/clients-service.js';

describe('new client ids', () => {
  it('are 128-bit base64url and never start with "-", which a command line takes for an option', () => {
    const ids = Array.from({ length: 2000 }, newClientId);
    assert.ok(
      ids.every((id) => /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/.test(id)),
      ids.find((id) => !/^[A-Za-z0-9_]/.test(id)),
    );
    assert.equal(new Set(ids).size, ids.length);
  });
});
