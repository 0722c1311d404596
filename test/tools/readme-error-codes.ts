import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { API_ERRORS } from '../../src/error-codes.js';

// The README's table of JSON API error codes is generated from the catalogue, src/error-codes.ts.
// `npm run docs:errors` rewrites it; test/readme-error-codes.test.ts fails when the README is out of date.

export const README = path.join(import.meta.dirname, '..', '..', '..', 'README.md');
export const BEGIN = '<!-- error-codes:begin (generated from src/error-codes.ts by `npm run docs:errors`; do not edit) -->';
export const END = '<!-- error-codes:end -->';

export function errorTable(): string {
  const rows = Object.entries(API_ERRORS).map(([code, { status, meaning }]) => `| ${status} | \`${code}\` | ${meaning.replaceAll('|', '\\|')} |`);
  return ['| status | `error` | meaning |', '|---|---|---|', ...rows].join('\n');
}

/** The README's current block (between the markers), or undefined when the markers are missing. */
export function currentBlock(readme: string): string | undefined {
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) return undefined;
  return readme.slice(start + BEGIN.length, end).trim();
}

export function withTable(readme: string): string {
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${BEGIN} … ${END} block`);
  return `${readme.slice(0, start + BEGIN.length)}\n${errorTable()}\n${readme.slice(end)}`;
}

if (process.argv[1] === import.meta.filename) {
  const readme = readFileSync(README, 'utf8');
  const updated = withTable(readme);
  if (updated === readme) console.log('README.md: error table already up to date');
  else {
    writeFileSync(README, updated);
    console.log('README.md: error table rewritten from src/error-codes.ts');
  }
}
