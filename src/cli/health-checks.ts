import type { CliContext } from './cli-context.js';

export type HealthCheck = (ctx: CliContext) => Promise<{ check: string; ok: boolean; detail: string }>;

/** Checks that later parts (signing keys) add to `auth-connect health`. */
export const healthChecks: HealthCheck[] = [];
