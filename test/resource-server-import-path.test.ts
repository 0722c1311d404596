import assert from 'node:assert/strict';
import * as kit from '@auth-connect/resource-server';
import * as formerPath from 'auth-connect/resource-server';

// The kit moved into its own package (packages/resource-server); APIs that import it from the server package
// as auth-connect/resource-server keep getting the very same functions and classes.
describe("auth-connect/resource-server (the kit's former import path)", () => {
  it('exports everything @auth-connect/resource-server exports, the same objects', () => {
    assert.deepEqual(Object.keys(formerPath).sort(), Object.keys(kit).sort());
    for (const [name, value] of Object.entries(kit)) assert.equal((formerPath as Record<string, unknown>)[name], value, name);
    assert.equal(typeof formerPath.createVerifier, 'function');
  });
});
