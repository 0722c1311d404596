import { availableParallelism } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { parseKeysEncryptionKey } from '../keys/key-encryption.js';
import type { AuthConfig, RuntimeSettings } from './types.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export function readRuntimeSettings(env: NodeJS.ProcessEnv, auth: AuthConfig, configDir: string): RuntimeSettings {
  const production = env.NODE_ENV === 'production';
  const { port, host } = auth.server;
  const issuer = auth.server.issuer?.replace(/\/+$/, '') ?? `http://localhost:${port}`;
  const issuerUrl = new URL(issuer);
  if (production && issuerUrl.protocol !== 'https:' && !LOCAL_HOSTS.has(issuerUrl.hostname)) {
    throw new ConfigError(`ISSUER=${issuer}: must be an https:// URL when NODE_ENV=production (tokens and cookies would travel in clear)`);
  }

  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  if (databaseUrl) checkDatabaseUrl(databaseUrl);

  const logLevel = (env.LOG_LEVEL?.trim().toLowerCase() || 'info') as RuntimeSettings['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL=${env.LOG_LEVEL}: must be one of ${LOG_LEVELS.join(', ')}`);
  }

  const jwtSecret = env.JWT_SECRET || undefined;
  if (jwtSecret !== undefined && jwtSecret.length < 32) {
    throw new ConfigError('JWT_SECRET: must be at least 32 characters (for example: openssl rand -base64 48)');
  }

  const keysEncryptionKey = env.KEYS_ENCRYPTION_KEY?.trim() || undefined;
  if (keysEncryptionKey !== undefined) parseKeysEncryptionKey(keysEncryptionKey);

  const metricsPort = readMetricsPort(env.METRICS_PORT);
  const workers = readWorkers(env.WORKERS);
  const smtpUrl = readSmtpUrl(env.SMTP_URL);
  const mailFrom = env.MAIL_FROM?.trim() || `no-reply@${issuerUrl.hostname.replace(/^\[|\]$/g, '')}`;

  return {
    production,
    issuer,
    port,
    host,
    databaseUrl,
    dataDir: path.resolve(env.DATA_DIR || 'data'),
    configDir,
    keysDir: path.resolve(env.KEYS_DIR || 'keys'),
    jwtSecret,
    keysEncryptionKey,
    metricsPort,
    metricsHost: env.METRICS_HOST?.trim() || '127.0.0.1',
    logLevel,
    workers,
    smtpUrl,
    mailFrom,
  };
}

function readMetricsPort(raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const port = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || port > 65_535) throw new ConfigError(`METRICS_PORT=${raw}: must be a port number (0-65535), or unset to serve no metrics`);
  return port;
}

const MAX_WORKERS = 256;

/** WORKERS: server processes on Postgres (src/runtime/workers.ts); unset = 1, `auto` = one per core. */
function readWorkers(raw: string | undefined): number {
  const value = raw?.trim().toLowerCase() ?? '';
  if (value === '') return 1;
  if (value === 'auto') return availableParallelism();
  const workers = Number(value);
  if (!/^\d+$/.test(value) || workers < 1 || workers > MAX_WORKERS) {
    throw new ConfigError(
      `WORKERS=${raw}: must be a number of server processes from 1 to ${MAX_WORKERS}, or auto (one per core: ${availableParallelism()} here)`,
    );
  }
  return workers;
}

function checkDatabaseUrl(value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('DATABASE_URL: not a URL; expected postgres://user:password@host:5432/database (or unset it to use the embedded database)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(`DATABASE_URL: must start with postgres:// (got ${url.protocol}//…); unset it to use the embedded database`);
  }
}

function readSmtpUrl(raw: string | undefined): string | undefined {
  const value = raw?.trim();
  if (!value) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('SMTP_URL: not a URL; expected smtp://user:password@host:587 or smtps://… (or unset it to write mails to DATA_DIR/outbox/)');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new ConfigError(`SMTP_URL: must start with smtp:// or smtps:// (got ${url.protocol}//…)`);
  return value;
}
