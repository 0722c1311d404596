import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { walkTree } from '../src/files/walk-tree.js';

// docs/ names files so that a newcomer finds where a rule lives: every path it names must exist, and
// design reasons are found inside the repository (comments point into docs/, never to files outside it).
const root = path.join(import.meta.dirname, '..', '..');

describe('docs', () => {
  it('every src/, test/, migrations/, config/ or packages/ path named in docs/*.md exists', () => {
    const missing: string[] = [];
    for (const name of readdirSync(path.join(root, 'docs')).filter((n) => n.endsWith('.md'))) {
      const text = readFileSync(path.join(root, 'docs', name), 'utf8');
      for (const [, file] of text.matchAll(/`((?:src|test|migrations|config|packages)\/[\w./-]+)`/g)) {
        if (!existsSync(path.join(root, file!))) missing.push(`${name}: ${file}`);
      }
    }
    assert.deepEqual(missing, []);
  });

  it('no source file cites design notes outside the repository', () => {
    const outside = ['DESIGN' + '.md', 'research' + '/', '/work/' + 'shared'];
    const citing: string[] = [];
    for (const dir of ['src', 'migrations', 'test', 'bench', 'examples', 'packages/resource-server/src', 'packages/resource-server/test']) {
      walkTree(path.join(root, dir), (file, stats) => {
        if (!stats.isFile() || !/\.(ts|md)$/.test(file)) return;
        const text = readFileSync(file, 'utf8');
        for (const word of outside) if (text.includes(word)) citing.push(`${path.relative(root, file)}: ${word}`);
      });
    }
    assert.deepEqual(citing, [], 'point design reasons into docs/ (architecture.md, oidc-provider-hooks.md) instead');
  });
});
