import { createServer, type RequestListener, type Server } from 'node:http';
import { createApp } from '../app.js';
import { apiKeyUsage } from '../apikeys/api-key-usage.js';
import { deriveCookieKeys } from '../config/cookie-keys.js';
import { checkProductionRequirements } from '../config/production-checks.js';
import { resolveServerSecret } from '../config/server-secret.js';
import type { Config } from '../config/types.js';
import { redactDatabaseUrl } from '../db/database-errors.js';
import { embeddedDatabaseExists } from '../db/embedded-database-exists.js';
import { migrateToLatest } from '../db/migrations.js';
import { openDatabase } from '../db/open-database.js';
import { securePrivateDirectories } from '../files/secure-private-directories.js';
import { Draining } from '../http/draining.js';
import { createMetrics } from '../http/metrics.js';
import { listenForMetrics } from '../http/metrics-listener.js';
import { followSigningKeys } from '../keys/follow-signing-keys.js';
import { resolveKeyEncryptionKey } from '../keys/key-encryption.js';
import { KeyRing } from '../keys/key-ring.js';
import { prepareSigningKeys, readSigningKeys } from '../keys/signing-keys-service.js';
import { createLogger, type LogDestination, type Logger } from '../logger.js';
import { createProvider } from '../oidc/create-provider.js';
import { scheduleExpiredPayloadCleanup } from '../oidc/expired-payload-cleanup.js';
import { hardenProvider } from '../oidc/harden-provider.js';
import { holdProvider } from '../oidc/provider-holder.js';
import { formatSeconds, timedStep } from '../startup/timed-step.js';
import { gracefulShutdown, readShutdownSettings } from './graceful-shutdown.js';
import { startMail } from '../mail/index.js';

export interface ServerStart {
  config: Config;
  /** The environment the shutdown settings (SHUTDOWN_DRAIN_SECONDS, NODE_ENV) are read from. */
  env: NodeJS.ProcessEnv;
  /** Where log lines go; stdout unless given (the tests keep them in memory). */
  logDestination?: LogDestination;
  /** What the graceful shutdown ends with: the process's exit for `npm start`, nothing for a server inside another program. */
  exit?: (code: number) => void;
  /** When the start began, for the "started in" line (`npm start` counts reading the configuration too). */
  startedAt?: number;
}

export interface StartedServer {
  server: Server;
  port: number;
  log: Logger;
  /**
   * The SIGTERM path: drain, stop accepting, let open requests finish, stop background work, close the
   * database, then `exit(0)`. Resolves when done; a second call while draining hurries the drain.
   */
  shutdown(signal: NodeJS.Signals): Promise<void> | undefined;
}

/**
 * Everything `npm start` does between reading the configuration and listening: production checks, private
 * directories, the database and its schema, signing keys, the provider and the app, background work, the
 * listener (and the metrics listener). It touches no process-wide state (signal handlers, exit) itself, so
 * the tests run whole servers inside their own process with it; src/main.ts adds those.
 */
export async function startServer({ config, env, logDestination, exit, startedAt }: ServerStart): Promise<StartedServer> {
  const started = startedAt ?? performance.now();
  checkProductionRequirements(config);
  const shutdownSettings = readShutdownSettings(env);
  const draining = new Draining();
  const log = createLogger(config.runtime.logLevel, logDestination);
  if (config.runtime.testPasswordHashing) log.warn('UNSAFE_TEST_PASSWORD_HASHING is on: passwords are hashed at a test-only argon2 cost, cheap to guess');
  securePrivateDirectories(config.runtime);
  const serverSecret = resolveServerSecret(config.runtime, (message) => log.warn(message));

  const { runtime } = config;
  const creating = !runtime.databaseUrl && !embeddedDatabaseExists(runtime.dataDir);
  const database = await timedStep(
    log,
    runtime.databaseUrl
      ? `connecting to Postgres at ${redactDatabaseUrl(runtime.databaseUrl)}`
      : creating
        ? `creating the embedded database in ${runtime.dataDir} (first start: this takes a few seconds)`
        : `opening the embedded database in ${runtime.dataDir}`,
    (db, took) => `${db.description} ${creating ? 'created' : 'ready'} in ${took}`,
    () => openDatabase(runtime, { role: 'server' }),
  );
  let server: Server | undefined;
  let metricsServer: Server | undefined;
  const background: (() => void | Promise<void>)[] = [];
  const stopBackground = () => Promise.all(background.map(async (stop) => stop())).then(() => {});
  try {
    await timedStep(
      log,
      'bringing the database schema up to date',
      (applied, took) =>
        applied.length ? `applied ${applied.length} migration(s) in ${took}: ${applied.join(', ')}` : `database schema up to date (checked in ${took})`,
      () => migrateToLatest(database.knex),
    );
    const kek = resolveKeyEncryptionKey(runtime, () => serverSecret);
    const signingKeys = { db: database.knex, auth: config.auth, kek };
    const { set: keys } = await timedStep(
      log,
      'loading the signing keys from the database',
      (prepared, took) =>
        `signing keys ready in ${took}: ${prepared.set.keys.length} key(s)${prepared.importedFrom ? ` (imported from ${prepared.importedFrom})` : ''}${prepared.generated.length ? `, ${prepared.generated.join(' and ')} generated` : ''}`,
      () =>
        prepareSigningKeys(signingKeys, runtime.keysDir, {
          // production makes its first keys on purpose (auth-connect keys generate or init), as it did with key files
          generate: !runtime.production,
          generatedWarning: 'in production create them beforehand with auth-connect keys generate',
          actor: { kind: 'system' },
          origin: { via: 'startup' },
          say: { info: (message) => log.info(message), warn: (message) => log.warn(message) },
        }),
    );
    const cookieKeys = deriveCookieKeys(serverSecret);
    const apiKeyUsageLog = apiKeyUsage(database.knex, log);
    background.push(async () => {
      apiKeyUsageLog.stop();
      await apiKeyUsageLog.flush();
    });
    const keyRing = new KeyRing({ auth: config.auth, log, initial: keys, load: () => readSigningKeys(database.knex, kek) });
    const metrics = createMetrics();
    const build = () => {
      const provider = hardenProvider(
        createProvider({ config, db: database.knex, keys: { keys: keyRing.view().keys }, cookieKeys, serverSecret, log, apiKeyUsage: apiKeyUsageLog }),
        config,
      );
      metrics.watch(provider);
      return provider;
    };
    const providers = holdProvider(build());
    keyRing.on('change', () => providers.swap(build()));
    background.push(followSigningKeys(database, keyRing));
    const mail = startMail({ db: database.knex, config, serverSecret, log });
    background.push(mail.worker.stop);
    const app = createApp({
      outbox: mail.outbox,
      config,
      db: database.knex,
      engine: database.engine,
      log,
      providers,
      keyRing,
      metrics,
      cookieKeys,
      serverSecret,
      keyEncryptionKey: kek,
      draining,
    });
    background.push(scheduleExpiredPayloadCleanup(database.knex, log, { firstRunMs: config.auth.background_work.first_cleanup_seconds * 1000 }));
    server = await listen(app.callback(), config.runtime.port, config.runtime.host);
    if (config.runtime.metricsPort !== undefined) metricsServer = await listenForMetrics(metrics, config.runtime.metricsPort, config.runtime.metricsHost);
  } catch (error) {
    server?.close();
    await stopBackground().catch(() => {});
    await database.close().catch(() => {});
    throw error;
  }

  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.runtime.port;
  if (metricsServer) {
    const metricsAddress = metricsServer.address();
    const metricsPort = typeof metricsAddress === 'object' && metricsAddress ? metricsAddress.port : config.runtime.metricsPort;
    log.info({ metricsPort }, `metrics on http://${config.runtime.metricsHost}:${metricsPort}/metrics`);
  }
  const ms = Math.round(performance.now() - started);
  log.info(
    { port, database: database.description, ms },
    `auth-connect listening on ${config.runtime.issuer} (port ${port}, ${database.description}), started in ${formatSeconds(ms)}`,
  );

  const release = () =>
    Promise.all([stopBackground(), closeMetrics(metricsServer)])
      .catch(() => {})
      .then(() => database.close())
      .catch((error) => log.error({ err: error }, 'closing the database failed'));
  const shutdown = gracefulShutdown({ server, draining, settings: shutdownSettings, log, release, ...(exit ? { exit } : {}) });
  return { server, port, log, shutdown };
}

/** A scraper's idle keep-alive connection would hold close() open: cut them, a scrape costs nothing to repeat. */
function closeMetrics(server: Server | undefined): Promise<void> {
  return new Promise((closed) => {
    if (!server) return closed();
    server.close(() => closed());
    server.closeAllConnections();
  });
}

function listen(handler: RequestListener, port: number, host: string): Promise<Server> {
  return new Promise<Server>((resolve, reject) => {
    const server = createServer(handler);
    server.keepAliveTimeout = 65_000;
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new Error(`port ${port} is already in use; stop what uses it or set PORT`) : error);
    });
    server.listen(port, host, () => resolve(server));
  });
}
