import { existsSync } from 'node:fs';
import path from 'node:path';

/** Whether DATA_DIR already holds an embedded database (PGlite writes PG_VERSION when it creates one). */
export function embeddedDatabaseExists(dataDir: string): boolean {
  return existsSync(path.join(dataDir, 'pgdata', 'PG_VERSION'));
}
