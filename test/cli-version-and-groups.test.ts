import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../src/paths.js';
import { cliInProcess } from './helpers/in-process-cli.js';
import { childEnv, runCli, type RunResult } from './helpers/processes.js';

/** Executes `file` itself, so that the kernel reads its #! line, as `npx auth-connect` does through node_modules/.bin. */
function runExecutable(file: string, args: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: packageRoot, env: childEnv({}) }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error.code as number | undefined) ?? null) : 0, stdout, stderr });
    });
  });
}

describe('auth-connect --version and command groups', () => {
  it('--version prints the version of package.json, also as JSON', async () => {
    const { version } = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string };
    const r = await cliInProcess(['--version']);
    assert.deepEqual([r.code, r.stdout], [0, `auth-connect ${version}\n`]);
    assert.deepEqual(JSON.parse((await cliInProcess(['--version', '--json'])).stdout), { version });
  });

  it('runs as its #! line says (the file npx auth-connect starts), with the Node.js on PATH', async () => {
    const { version } = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string };
    const r = await runExecutable(path.join(packageRoot, 'dist', 'src', 'cli', 'main.js'), ['--version']);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, `auth-connect ${version}\n`, '']);
  });

  it('a group alone lists its commands (exit 2, like a bare auth-connect) instead of "unknown command"', async () => {
    const groups: Record<string, string[]> = {
      user: ['create', 'list', 'set-role', 'disable', 'enable', 'mfa-reset', 'send-reset', 'verify'],
      client: ['create', 'list', 'delete', 'hash-secret'],
      keys: ['generate', 'import', 'list', 'rotate'],
      apikey: ['create', 'list', 'revoke'],
    };
    for (const [group, subcommands] of Object.entries(groups)) {
      // one group as a real process (exit code and streams as a shell sees them), the others in-process
      const r = group === 'user' ? await runCli([group]) : await cliInProcess([group]);
      assert.equal(r.code, 2, group);
      assert.equal(r.stderr, '', group);
      assert.match(r.stdout, new RegExp(`^usage: auth-connect ${group} <command>`), group);
      const listed = [...r.stdout.matchAll(new RegExp(`^  ${group} (\\S+)`, 'gm'))].map((m) => m[1]);
      assert.deepEqual(listed, subcommands, group);
    }
    const help = await cliInProcess(['user', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^ {2}user create/m);
  });
});
