import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../src/paths.js';
import { runCli } from './helpers/processes.js';

describe('auth-connect --version and command groups', () => {
  it('--version prints the version of package.json, also as JSON', async () => {
    const { version } = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string };
    const r = await runCli(['--version']);
    assert.deepEqual([r.code, r.stdout], [0, `auth-connect ${version}\n`]);
    assert.deepEqual(JSON.parse((await runCli(['--version', '--json'])).stdout), { version });
  });

  it('a group alone lists its commands (exit 2, like a bare auth-connect) instead of "unknown command"', async () => {
    const groups: Record<string, string[]> = {
      user: ['create', 'list', 'set-role', 'disable', 'enable', 'send-reset', 'verify'],
      client: ['create', 'list', 'delete', 'hash-secret'],
      keys: ['generate', 'import', 'list', 'rotate'],
      apikey: ['create', 'list', 'revoke'],
    };
    for (const [group, subcommands] of Object.entries(groups)) {
      const r = await runCli([group]);
      assert.equal(r.code, 2, group);
      assert.equal(r.stderr, '', group);
      assert.match(r.stdout, new RegExp(`^usage: auth-connect ${group} <command>`), group);
      const listed = [...r.stdout.matchAll(new RegExp(`^  ${group} (\\S+)`, 'gm'))].map((m) => m[1]);
      assert.deepEqual(listed, subcommands, group);
    }
    const help = await runCli(['user', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^ {2}user create/m);
  });
});
