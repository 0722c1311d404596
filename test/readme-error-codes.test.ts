import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { API_ERRORS } from '../src/error-codes.js';
import { BEGIN, currentBlock, END, errorTable, README } from './tools/readme-error-codes.js';

describe('README error codes', () => {
  it('the README lists exactly the codes of the error catalogue (src/error-codes.ts)', () => {
    const block = currentBlock(readFileSync(README, 'utf8'));
    assert.ok(block !== undefined, `README.md lacks the generated block ${BEGIN} … ${END}`);
    const listed = [...block.matchAll(/^\| \d+ \| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    assert.deepEqual(listed.toSorted(), Object.keys(API_ERRORS).toSorted(), 'the README and the catalogue name different codes: run `npm run docs:errors`');
    assert.equal(block, errorTable(), 'the README error table is out of date (a status or meaning changed): run `npm run docs:errors`');
  });
});
