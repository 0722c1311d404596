/**
 * Errors that reach a person (CLI, start-up, JSON API) carry a stable `code` and a one-line message.
 * Anything else is a bug and is logged, never shown.
 */
export class AuthConnectError extends Error {
  readonly code: string;
  readonly status: number;
  /** Extra fields for the JSON error body (never secrets). */
  details?: Record<string, unknown>;
  constructor(code: string, message: string, status = 400, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AuthConnectError';
    this.code = code;
    this.status = status;
  }
}

/** A configuration file or environment variable is wrong; the message names it and says what is expected. */
export class ConfigError extends AuthConnectError {
  constructor(message: string) {
    super('CONFIG_INVALID', message, 500);
    this.name = 'ConfigError';
  }
}

/** The database cannot be reached or used; start-up stops, requests get 503. */
export class DatabaseUnavailableError extends AuthConnectError {
  constructor(message: string, options?: ErrorOptions) {
    super('DATABASE_UNAVAILABLE', message, 503, options);
    this.name = 'DatabaseUnavailableError';
  }
}

export function isAuthConnectError(error: unknown): error is AuthConnectError {
  return error instanceof AuthConnectError;
}
