import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

// APIs install the kit without the server: at run time it may load only jose, node builtins and its own files.
describe('resource-server kit boundary', () => {
  it('imports nothing at run time but jose, node: builtins and its own modules', () => {
    const dir = path.join(import.meta.dirname, '..', 'src');
    const files = readdirSync(dir).filter((name) => name.endsWith('.js'));
    assert.ok(files.includes('index.js'));
    for (const file of files) {
      const source = readFileSync(path.join(dir, file), 'utf8');
      const specifiers = [...source.matchAll(/\bfrom\s+['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]|^import\s+['"]([^'"]+)['"]/gm)].map((m) => m[1] ?? m[2] ?? m[3]);
      for (const specifier of specifiers) {
        assert.ok(specifier === 'jose' || specifier!.startsWith('node:') || /^\.\/[\w-]+\.js$/.test(specifier!), `${file} imports ${specifier}`);
      }
    }
  });
});
