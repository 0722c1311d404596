import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { GENERATED, generatedTypes } from './tools/config-types.js';

describe('config types', () => {
  it('src/config/schema-types.ts is what config/schema/*.json generate (npm run config:types rewrites it)', async () => {
    assert.equal(readFileSync(GENERATED, 'utf8'), await generatedTypes(), 'src/config/schema-types.ts is out of date: run npm run config:types');
  });
});
