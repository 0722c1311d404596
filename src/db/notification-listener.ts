import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';

/** The part of a node-postgres client the listener uses. */
interface ListeningConnection {
  query(text: string): Promise<unknown>;
  on(event: 'notification', listener: (message: { channel: string; payload?: string }) => void): unknown;
  on(event: 'error' | 'end', listener: (error?: Error) => void): unknown;
  removeAllListeners(event?: string): unknown;
  connection?: { stream?: { unref?: () => void } };
}

export interface NotificationListenerOptions {
  /** How long to wait for our own probe before deciding notifications do not reach us here. */
  probeTimeoutMs?: number;
  /** Wait before listening again after the connection broke (doubling up to 30 s). */
  retryMs?: number;
}

export type ListenerState = 'starting' | 'listening' | 'retrying' | 'off' | 'closed';

/**
 * LISTENs on `channel` on a connection of its own and calls `onNotify` with the payload of every
 * announcement made elsewhere, once a probe sent through the pool has proved that announcements reach it (a transaction-
 * pooling proxy such as PgBouncer, or the embedded database, would accept LISTEN and never deliver). When
 * the probe fails it stops for good ('off'); when the connection breaks it calls `onNotify` without a payload
 * (something may have been missed) and listens again later. Callers must not depend on it: it only makes them faster.
 */
export function listenForNotifications(
  db: Knex,
  channel: string,
  onNotify: (payload?: string) => void,
  options: NotificationListenerOptions = {},
): { state: () => ListenerState; close: () => Promise<void> } {
  const probeTimeoutMs = options.probeTimeoutMs ?? 3_000;
  let retryMs = options.retryMs ?? 1_000;
  let state: ListenerState = 'starting';
  let current: ListeningConnection | undefined;
  let retryTimer: NodeJS.Timeout | undefined;

  const drop = async () => {
    const connection = current;
    current = undefined;
    if (!connection) return;
    connection.removeAllListeners('notification');
    connection.removeAllListeners('end');
    connection.removeAllListeners('error');
    connection.on('error', () => {});
    await db.client.destroyRawConnection(connection).catch(() => {});
  };
  const retryLater = () => {
    if (state === 'closed' || state === 'off') return;
    state = 'retrying';
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => void listen(), retryMs);
    retryTimer.unref();
    retryMs = Math.min(retryMs * 2, 30_000);
  };
  const lost = (connection: ListeningConnection) => {
    if (current !== connection || state === 'closed') return;
    void drop();
    onNotify();
    retryLater();
  };

  const listen = async () => {
    try {
      const connection = (await db.client.acquireRawConnection()) as ListeningConnection;
      if (state === 'closed') {
        await db.client.destroyRawConnection(connection);
        return;
      }
      current = connection;
      connection.connection?.stream?.unref?.(); // never keeps a process alive on its own
      const probe = `probe:${randomBytes(12).toString('base64url')}`;
      let probed: () => void = () => {};
      const arrived = new Promise<boolean>((resolve) => (probed = () => resolve(true)));
      connection.on('notification', (message) => {
        if (message.channel !== channel) return;
        if (message.payload === probe) probed();
        else if (state === 'listening') onNotify(message.payload);
      });
      connection.on('error', () => lost(connection));
      connection.on('end', () => lost(connection));
      await connection.query(`LISTEN ${channel}`);
      await db.raw('select pg_notify(?, ?)', [channel, probe]);
      const works = await Promise.race([arrived, new Promise<boolean>((resolve) => setTimeout(resolve, probeTimeoutMs, false).unref())]);
      if (current !== connection || (state as ListenerState) === 'closed') return;
      if (!works) {
        state = 'off';
        await drop();
        return;
      }
      if (state === 'retrying') onNotify(); // an announcement may have come while we were away
      state = 'listening';
      retryMs = options.retryMs ?? 1_000;
    } catch {
      if (current) lost(current);
      else retryLater();
    }
  };

  void listen();
  return {
    state: () => state,
    close: async () => {
      state = 'closed';
      clearTimeout(retryTimer);
      await drop();
    },
  };
}
