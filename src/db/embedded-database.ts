import { chmodSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { ConfigError, DatabaseUnavailableError } from '../errors.js';
import { tryLockDataDir, type LockOwner } from './embedded-lock.js';
import { OwnerOnlyNodeFS } from './owner-only-pglite-fs.js';

export interface EmbeddedDatabase {
  /** node-postgres connection settings that reach the embedded database over its unix socket. */
  connection: pg.ClientConfig;
  /** True when this process owns (opened) the database; false when it talks to the owner's socket. */
  owner: boolean;
  close(): Promise<void>;
}

const SOCKET_PORT = 5432;
const MAX_SOCKET_PATH = 100;
const SERVER_WAIT_FOR_CLI_MS = 15_000;
const CLIENT_WAIT_FOR_SOCKET_MS = 30_000;

/**
 * Opens the embedded database in `dataDir` so that several processes can use it without loss: the first
 * process owns PGlite and serves it on a unix socket inside `dataDir`; a CLI started while a server runs
 * becomes a client of that socket. A second server on the same directory is refused with a sentence.
 */
export async function openEmbeddedDatabase(dataDir: string, role: LockOwner['role']): Promise<EmbeddedDatabase> {
  const socketPath = path.join(dataDir, `.s.PGSQL.${SOCKET_PORT}`);
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) {
    throw new ConfigError(`DATA_DIR=${dataDir}: the path is too long for the embedded database's unix socket; choose a shorter DATA_DIR`);
  }
  const connection: pg.ClientConfig = { host: dataDir, port: SOCKET_PORT, user: 'postgres', database: 'postgres' };
  const deadline = Date.now() + SERVER_WAIT_FOR_CLI_MS;

  for (;;) {
    const lock = tryLockDataDir(dataDir, role);
    if (lock.acquired) {
      try {
        return await startOwner(dataDir, socketPath, connection, lock.release);
      } catch (error) {
        lock.release();
        throw error;
      }
    }
    const { owner } = lock;
    if (role === 'cli') {
      await waitForSocket(connection, owner);
      return { connection, owner: false, close: async () => {} };
    }
    if (owner.role === 'server') {
      throw new DatabaseUnavailableError(
        `the embedded database in ${dataDir} is already used by another auth-connect server (pid ${owner.pid}); stop it, give this one its own DATA_DIR, or use Postgres (DATABASE_URL)`,
      );
    }
    if (Date.now() > deadline) {
      throw new DatabaseUnavailableError(
        `the embedded database in ${dataDir} is busy with an auth-connect command (pid ${owner.pid}); start the server again when it has finished`,
      );
    }
    await sleep(200);
  }
}

/**
 * Whether `dataDir` already holds an embedded database (initialised, or being served by a running
 * server): opening one that does not exist creates it, which the CLI does only when asked to.
 */
export function embeddedDatabaseExists(dataDir: string): boolean {
  return existsSync(path.join(dataDir, 'pgdata', 'PG_VERSION')) || existsSync(path.join(dataDir, `.s.PGSQL.${SOCKET_PORT}`));
}

async function startOwner(dataDir: string, socketPath: string, connection: pg.ClientConfig, release: () => void): Promise<EmbeddedDatabase> {
  const [{ PGlite }, { PGLiteSocketServer }] = await Promise.all([import('@electric-sql/pglite'), import('@electric-sql/pglite-socket')]);
  // shared_buffers at Postgres's 128 MB default made an idle server hold about 370 MB; the embedded database is
  // small and read through the OS page cache anyway (measured: 16 MB keeps npm start under 200 MB idle)
  const db = await PGlite.create({
    fs: new OwnerOnlyNodeFS(path.join(dataDir, 'pgdata')),
    startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'],
  });
  rmSync(socketPath, { force: true }); // left behind by an owner that was killed
  const server = new PGLiteSocketServer({ db, path: socketPath, maxConnections: 64 });
  await server.start();
  chmodSync(socketPath, 0o600);
  let closed = false;
  return {
    connection,
    owner: true,
    close: async () => {
      if (closed) return;
      closed = true;
      try {
        await server.stop();
        await db.close();
      } finally {
        rmSync(socketPath, { force: true });
        release();
      }
    },
  };
}

async function waitForSocket(connection: pg.ClientConfig, owner: LockOwner): Promise<void> {
  const deadline = Date.now() + CLIENT_WAIT_FOR_SOCKET_MS;
  for (;;) {
    const client = new pg.Client(connection);
    client.on('error', () => {});
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => {});
      if (Date.now() > deadline) {
        throw new DatabaseUnavailableError(
          `the embedded database is held by auth-connect ${owner.role} (pid ${owner.pid}) but does not answer on its socket; if that process hangs, stop it`,
        );
      }
      await sleep(250);
    }
  }
}
