import cluster from 'node:cluster';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { RuntimeSettings } from './config/types.js';

export type { Logger };
/** Where log lines go instead of stdout (a test keeps them in memory). */
export type LogDestination = DestinationStream;

/** Structured JSON logs; fields that could hold secrets are censored wherever they appear. */
export function createLogger(level: RuntimeSettings['logLevel'], destination?: LogDestination): Logger {
  const options = {
    level,
    // under WORKERS every worker prints the same start-up lines: these fields tell them apart
    base: { service: 'auth-connect', ...(cluster.isWorker ? { worker: cluster.worker?.id, pid: process.pid } : {}) },
    redact: {
      paths: [
        'password',
        '*.password',
        'new_password',
        'current_password',
        'client_secret',
        '*.client_secret',
        'refresh_token',
        'access_token',
        'token',
        'secret',
        'key',
        'headers.authorization',
        'headers.cookie',
        'req.headers.authorization',
        'req.headers.cookie',
      ],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
