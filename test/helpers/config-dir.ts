import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { packageRoot } from '../../src/paths.js';

/**
 * A copy of the shipped config folder with some files changed: `auth_config` is merged over the shipped
 * file at the top level, `roles` and `clients` replace theirs. Returns the folder, for CONFIG_DIR.
 */
export function configDirWith(changes: { auth_config?: Record<string, unknown>; roles?: object; clients?: object }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ac-config-'));
  cpSync(path.join(packageRoot, 'config'), dir, { recursive: true });
  if (changes.auth_config) {
    const file = path.join(dir, 'auth_config.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), ...changes.auth_config }));
  }
  if (changes.roles) writeFileSync(path.join(dir, 'roles.json'), JSON.stringify(changes.roles));
  if (changes.clients) writeFileSync(path.join(dir, 'clients.json'), JSON.stringify(changes.clients));
  return dir;
}

/** The shipped roles.json plus a `support` role that manages users but holds nothing else of the admin's. */
export function rolesWithSupport(): object {
  const shipped = JSON.parse(readFileSync(path.join(packageRoot, 'config', 'roles.json'), 'utf8')) as { roles: Record<string, unknown> };
  return { ...shipped, roles: { ...shipped.roles, support: { description: 'Helps users with their accounts', permissions: ['read', 'manage_users'] } } };
}
