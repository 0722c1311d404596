import './runtime/node-check-server.js';
import type { Server } from 'node:http';
import { createApp } from './app.js';
import { loadConfig } from './config/load-config.js';
import { checkProductionRequirements } from './config/production-checks.js';
import { resolveServerSecret } from './config/server-secret.js';
import { openDatabase } from './db/open-database.js';
import { migrateToLatest } from './db/migrations.js';
import { redactDatabaseUrl } from './db/database-errors.js';
import { embeddedDatabaseExists } from './db/embedded-database-exists.js';
import { formatSeconds, timedStep } from './startup/timed-step.js';
import { createLogger } from './logger.js';
import { describeFailure } from './describe-failure.js';
import { deriveCookieKeys } from './config/cookie-keys.js';
import { prepareSigningKeys, readSigningKeys } from './keys/signing-keys-service.js';
import { resolveKeyEncryptionKey } from './keys/key-encryption.js';
import { followSigningKeys } from './keys/follow-signing-keys.js';
import { apiKeyUsage } from './apikeys/api-key-usage.js';
import { createProvider } from './oidc/create-provider.js';
import { hardenProvider } from './oidc/harden-provider.js';
import { holdProvider } from './oidc/provider-holder.js';
import { createMetrics } from './http/metrics.js';
import { listenForMetrics } from './http/metrics-listener.js';
import { KeyRing } from './keys/key-ring.js';
import { scheduleExpiredPayloadCleanup } from './oidc/expired-payload-cleanup.js';
import { securePrivateDirectories } from './files/secure-private-directories.js';
import { runWorkersIfAsked } from './runtime/workers.js';
import { Draining } from './http/draining.js';
import { gracefulShutdown, readShutdownSettings } from './runtime/graceful-shutdown.js';
import { startMail } from './mail/index.js';

async function main(): Promise<void> {
  const started = performance.now();
  const config = loadConfig();
  checkProductionRequirements(config);
  const shutdownSettings = readShutdownSettings(process.env);
  const draining = new Draining();
  const log = createLogger(config.runtime.logLevel);
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
  let stopUsage: () => Promise<void> = async () => {};
  let stopFollowing: () => Promise<void> = async () => {};
  let stopMail: () => Promise<void> = async () => {};
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
    stopUsage = apiKeyUsageLog.flush;
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
    stopFollowing = followSigningKeys(database, keyRing);
    const mail = startMail({ db: database.knex, config, serverSecret, log });
    stopMail = mail.worker.stop;
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
    scheduleExpiredPayloadCleanup(database.knex, log);
    server = await listen(app.callback(), config.runtime.port, config.runtime.host);
    if (config.runtime.metricsPort !== undefined) metricsServer = await listenForMetrics(metrics, config.runtime.metricsPort, config.runtime.metricsHost);
  } catch (error) {
    server?.close();
    await stopMail().catch(() => {});
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

  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled rejection'));
  const release = () =>
    Promise.all([stopFollowing(), stopUsage(), stopMail()])
      .catch(() => {})
      .then(() => database.close())
      .catch((error) => log.error({ err: error }, 'closing the database failed'));
  const stop = gracefulShutdown({ server, draining, settings: shutdownSettings, log, release });
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function listen(handler: Parameters<typeof import('node:http').createServer>[1], port: number, host: string): Promise<Server> {
  return import('node:http').then(
    ({ createServer }) =>
      new Promise<Server>((resolve, reject) => {
        const server = createServer(handler);
        server.keepAliveTimeout = 65_000;
        server.once('error', (error: NodeJS.ErrnoException) => {
          reject(error.code === 'EADDRINUSE' ? new Error(`port ${port} is already in use; stop what uses it or set PORT`) : error);
        });
        server.listen(port, host, () => resolve(server));
      }),
  );
}

// WORKERS on Postgres: this process becomes the primary that forks workers (src/runtime/workers.ts), each running main()
runWorkersIfAsked()
  .then((primary) => (primary ? undefined : main()))
  .catch((error) => {
    process.stderr.write(`auth-connect: ${describeFailure(error)}\n`);
    process.exit(1);
  });
