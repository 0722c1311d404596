import type { RuntimeSettings } from '../config/types.js';
import { makeOwnerOnly } from './make-owner-only.js';

/** DATA_DIR (embedded database, generated secret) and KEYS_DIR (private signing keys), as the operator named them. */
export function privateDirectories(runtime: RuntimeSettings): { variable: string; root: string }[] {
  return [
    { variable: 'DATA_DIR', root: runtime.dataDir },
    { variable: 'KEYS_DIR', root: runtime.keysDir },
  ];
}

/**
 * Everything this process creates from now on is owner-only (umask 077), and what already exists in
 * DATA_DIR and KEYS_DIR loses its group and other permissions: the embedded database holds password
 * hashes, KEYS_DIR the private signing keys.
 */
export function securePrivateDirectories(runtime: RuntimeSettings): void {
  process.umask(0o077);
  for (const { variable, root } of privateDirectories(runtime)) makeOwnerOnly(variable, root);
}
