import { spawn } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './auth-server.js';
import { untilReady } from './processes.js';

export interface RunningPgBouncer {
  /** `databaseUrl` with its host and port replaced by PgBouncer's. */
  through(databaseUrl: string): string;
  stop(): Promise<void>;
}

const CANDIDATES = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer'];

/** The pgbouncer executable, if installed (Debian package `pgbouncer`). */
export function pgbouncerBinary(): string | undefined {
  return CANDIDATES.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * PgBouncer in transaction pooling in front of the Postgres of `databaseUrl`, on a free loopback port with a
 * config file of its own; every database name is passed through. Clients authenticate as `databaseUrl`'s
 * user (trust, with that user in the auth file, whose password PgBouncer then uses towards Postgres). The
 * statement timeout the server sends as a startup parameter is ignored, as the README tells operators to
 * do, and set on each server connection by connect_query instead.
 */
export async function startPgBouncer(databaseUrl: string): Promise<RunningPgBouncer> {
  const binary = pgbouncerBinary();
  if (!binary) throw new Error('pgbouncer is not installed');
  const upstream = new URL(databaseUrl);
  const port = await freePort();
  // PgBouncer refuses to run as root; it then drops to `nobody`, who must be able to read its files
  const dir = mkdtempSync(path.join(tmpdir(), 'ac-pgbouncer-'));
  chmodSync(dir, 0o755);
  const user = decodeURIComponent(upstream.username || 'postgres');
  const password = decodeURIComponent(upstream.password);
  writeFileSync(path.join(dir, 'users.txt'), `"${user}" "${password}"\n`, { mode: 0o644 });
  writeFileSync(
    path.join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${upstream.hostname} port=${upstream.port || 5432} connect_query='SET statement_timeout = 10000'`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${path.join(dir, 'users.txt')}`,
      'pool_mode = transaction',
      'ignore_startup_parameters = statement_timeout',
      'default_pool_size = 20',
      // hand out server connections in turn rather than the most recent first, so a statement that relied on
      // an earlier one's connection (a named prepared statement, a SET) fails here rather than by luck
      'server_round_robin = 1',
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  const asRoot = process.getuid?.() === 0;
  const child = spawn(binary, [...(asRoot ? ['-u', 'nobody'] : []), path.join(dir, 'pgbouncer.ini')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const ready = await untilReady(child, /process up: PgBouncer/, { name: 'pgbouncer', state: 'listening' }, 10_000);
  return {
    through: (url) => {
      const routed = new URL(url);
      routed.hostname = '127.0.0.1';
      routed.port = String(port);
      return routed.toString();
    },
    stop: async () => {
      await ready.stop('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
