import { UsageError, type OptionSpec } from './command.js';

/** The options that name one user: --email or --id. */
export const userTarget: OptionSpec = { email: { type: 'string' }, id: { type: 'string' } };

/** The user named by --email or --id (exactly one of them), as resolveUser takes it. */
export function userReference(options: Record<string, unknown>): string {
  if (typeof options.email === 'string' && typeof options.id === 'string') throw new UsageError('give --email or --id, not both');
  const value = options.email ?? options.id;
  if (typeof value !== 'string') throw new UsageError('--email (or --id) is required');
  return value;
}
