import { isAuthConnectError } from './errors.js';

/** One line for a person: our errors speak for themselves; anything else is summarised, never a stack. */
export function describeFailure(error: unknown): string {
  if (isAuthConnectError(error)) return error.message;
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return `${error.message}${code && !error.message.includes(code) ? ` (${code})` : ''}`.split('\n')[0]!;
  }
  return String(error);
}
