import type { Database } from '../db/open-database.js';
import { listenForNotifications } from '../db/notification-listener.js';
import type { KeyRing } from './key-ring.js';
import { SIGNING_KEYS_CHANNEL } from './signing-keys-service.js';

/**
 * Keeps a server's key ring in step with the signing_keys table: a read every check interval, which alone
 * suffices (behind PgBouncer in transaction mode LISTEN never hears anything), and on Postgres a LISTEN
 * that makes a rotation done elsewhere visible at once. The embedded database has one server, whose own
 * rotations refresh the ring directly and whose CLI's rotations the periodic read finds; it delivers
 * notifications only to the connection that sent them, so it is not asked to.
 */
export function followSigningKeys(database: Database, keyRing: KeyRing): () => Promise<void> {
  keyRing.start();
  const listener = database.engine === 'postgres' ? listenForNotifications(database.knex, SIGNING_KEYS_CHANNEL, () => void keyRing.refresh()) : undefined;
  return async () => {
    keyRing.stop();
    await listener?.close();
  };
}
