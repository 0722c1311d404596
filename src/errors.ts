import { statusOf, type ErrorCode } from './error-codes.js';

export type { ErrorCode } from './error-codes.js';

export interface AuthConnectErrorOptions extends ErrorOptions {
  /** Response headers the answer needs, e.g. Retry-After (set as Koa sets an HttpError's `headers`). */
  headers?: Record<string, string>;
}

/**
 * Errors that reach a person (CLI, start-up, JSON API) carry a stable `code` from the catalogue
 * (error-codes.ts), which gives their HTTP status, and a one-line message. Anything else is a bug and is
 * logged, never shown.
 */
export class AuthConnectError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly headers: Record<string, string>;
  /** Extra fields for the JSON error body (never secrets). */
  details?: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, options: AuthConnectErrorOptions = {}) {
    super(message, options);
    this.name = 'AuthConnectError';
    this.code = code;
    this.status = statusOf(code);
    this.headers = options.headers ?? {};
  }
}

/** A configuration file or environment variable is wrong; the message names it and says what is expected. */
export class ConfigError extends AuthConnectError {
  constructor(message: string) {
    super('CONFIG_INVALID', message);
    this.name = 'ConfigError';
  }
}

/** The database cannot be reached or used; start-up stops, requests get 503. */
export class DatabaseUnavailableError extends AuthConnectError {
  constructor(message: string, options?: ErrorOptions) {
    super('DATABASE_UNAVAILABLE', message, options);
    this.name = 'DatabaseUnavailableError';
  }
}

export function isAuthConnectError(error: unknown): error is AuthConnectError {
  return error instanceof AuthConnectError;
}
