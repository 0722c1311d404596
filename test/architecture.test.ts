import assert from 'node:assert/strict';
import path from 'node:path';
import { cruise } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';

// The layering rules of .dependency-cruiser.cjs (docs/architecture.md): front ends never import repositories,
// the resource-server kit (packages/resource-server) imports only itself, jose and node: built-ins, the server
// imports the kit by its package name only, src/ never imports test/ or bench/.
// Runs in-process on the TypeScript sources (swc parser), so type-only imports count too.
const root = path.join(import.meta.dirname, '..', '..');

describe('architecture: dependency rules (dependency-cruiser)', () => {
  it('src/ and the resource-server kit keep their layers', async function () {
    this.timeout(60_000);
    const options = await extractDepcruiseOptions(path.join(root, '.dependency-cruiser.cjs'));
    const result = await cruise(['src', 'packages/resource-server/src'], { ...options, baseDir: root, validate: true, outputType: 'err-long' });
    const output = String(result.output);
    assert.equal(result.exitCode, 0, `dependency rules broken (fix the import, or see .dependency-cruiser.cjs):\n${output}`);
    // a parser that reads nothing also finds no violation: make sure the sources were really read
    const cruised = /\((\d+) modules, (\d+) dependencies cruised\)/.exec(output);
    assert.ok(cruised && Number(cruised[1]) > 150 && Number(cruised[2]) > 400, `dependency-cruiser read too little of src/:\n${output}`);
  });
});
