import { describeFailure } from '../describe-failure.js';
import { findOpenEntry } from '../files/find-open-entry.js';
import { ownerOnlyFix } from '../files/owner-only.js';
import { privateDirectories } from '../files/secure-private-directories.js';
import { checkSigningKeys } from '../keys/signing-keys-service.js';
import type { CliContext } from './cli-context.js';

export type HealthCheck = (ctx: CliContext) => Promise<{ check: string; ok: boolean; detail: string }>;

const signingKeys: HealthCheck = async (ctx) => {
  try {
    return { check: 'keys', ...(await checkSigningKeys((await ctx.database()).knex, ctx.config.auth, ctx.keyEncryptionKeyIfKnown())) };
  } catch (error) {
    return { check: 'keys', ok: false, detail: describeFailure(error) };
  }
};

/** DATA_DIR and KEYS_DIR must be owner-only; the server tightens them at start, this only looks. */
export const filePermissions: HealthCheck = async (ctx) => {
  const directories = privateDirectories(ctx.config.runtime);
  for (const { variable, root } of directories) {
    const open = findOpenEntry(root);
    if (open)
      return { check: 'permissions', ok: false, detail: `${variable}: ${open.file} is open to other users (mode ${open.mode}); run: ${ownerOnlyFix(root)}` };
  }
  return { check: 'permissions', ok: true, detail: `owner-only: ${directories.map((d) => d.root).join(', ')}` };
};

/** Checks beyond the database that `auth-connect health` runs. */
export const healthChecks: HealthCheck[] = [signingKeys];
