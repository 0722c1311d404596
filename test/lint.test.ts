import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

// `npm run lint` as a test, so CI runs it and a broken rule shows up in the summary like any failure.
const root = path.join(import.meta.dirname, '..', '..');

describe('lint and format (Biome)', () => {
  it('finds nothing in src/, test/, bench/, examples/ and scripts/', function () {
    this.timeout(60_000);
    const run = spawnSync(path.join(root, 'node_modules', '.bin', 'biome'), ['ci', '--error-on-warnings', '--colors=off', '--max-diagnostics=50'], {
      cwd: root,
      encoding: 'utf8',
    });
    const output = `${run.stdout}${run.stderr}`;
    assert.equal(run.status, 0, `biome found problems (npm run lint shows them; npm run format fixes formatting):\n${output}`);
    // a run that read no file also finds nothing: make sure the sources were really checked
    const checked = /Checked (\d+) files?/.exec(output);
    assert.ok(checked && Number(checked[1]) > 200, `biome checked too little:\n${output}`);
  });
});
