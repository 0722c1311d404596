import { pino, type Logger } from 'pino';
import type { RuntimeSettings } from './config/types.js';

export type { Logger };

/** Structured JSON logs; fields that could hold secrets are censored wherever they appear. */
export function createLogger(level: RuntimeSettings['logLevel']): Logger {
  return pino({
    level,
    base: { service: 'auth-connect' },
    redact: {
      paths: [
        'password', '*.password', 'new_password', 'current_password', 'client_secret', '*.client_secret',
        'refresh_token', 'access_token', 'token', 'secret', 'key', 'headers.authorization', 'headers.cookie',
        'req.headers.authorization', 'req.headers.cookie',
      ],
      censor: '[redacted]',
    },
  });
}
