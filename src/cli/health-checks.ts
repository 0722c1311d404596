import { describeFailure } from '../describe-failure.js';
import { requiredAlgorithms } from '../keys/generate-signing-key.js';
import { findOpenEntry } from '../files/find-open-entry.js';
import { ownerOnlyFix } from '../files/owner-only.js';
import { privateDirectories } from '../files/secure-private-directories.js';
import { keySetPath, readKeySet } from '../keys/key-set-file.js';
import type { CliContext } from './cli-context.js';

export type HealthCheck = (ctx: CliContext) => Promise<{ check: string; ok: boolean; detail: string }>;

const signingKeys: HealthCheck = async (ctx) => {
  const { keysDir } = ctx.config.runtime;
  try {
    const set = readKeySet(keysDir);
    if (!set) return { check: 'keys', ok: false, detail: `no keys in ${keySetPath(keysDir)}; run auth-connect keys generate` };
    const missing = requiredAlgorithms(ctx.config.auth.jwt.algorithm).filter((alg) => !set.keys.some((k) => k.alg === alg));
    if (missing.length) return { check: 'keys', ok: false, detail: `no ${missing.join(' and ')} key in ${keySetPath(keysDir)}; run auth-connect keys generate` };
    return { check: 'keys', ok: true, detail: `${set.keys.length} signing key(s) in ${keySetPath(keysDir)}` };
  } catch (error) {
    return { check: 'keys', ok: false, detail: describeFailure(error) };
  }
};

/** DATA_DIR and KEYS_DIR must be owner-only; the server tightens them at start, this only looks. */
export const filePermissions: HealthCheck = async (ctx) => {
  const directories = privateDirectories(ctx.config.runtime);
  for (const { variable, root } of directories) {
    const open = findOpenEntry(root);
    if (open) return { check: 'permissions', ok: false, detail: `${variable}: ${open.file} is open to other users (mode ${open.mode}); run: ${ownerOnlyFix(root)}` };
  }
  return { check: 'permissions', ok: true, detail: `owner-only: ${directories.map((d) => d.root).join(', ')}` };
};

/** Checks beyond the database that `auth-connect health` runs. */
export const healthChecks: HealthCheck[] = [signingKeys];
