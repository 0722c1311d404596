import Koa from 'koa';
import type { Knex } from 'knex';
import type { Config } from './config/types.js';
import type { Logger } from './logger.js';
import { errorMiddleware } from './http/error-middleware.js';
import { healthRoutes } from './http/health-routes.js';

export interface AppContext {
  config: Config;
  db: Knex;
  log: Logger;
  serverSecret: string;
}

/** Composes the Koa app: error mapping, then the routers. */
export function createApp(deps: AppContext): Koa {
  const app = new Koa({ proxy: deps.config.auth.server.trust_proxy });
  app.keys = [deps.serverSecret];
  app.silent = true; // errors are logged by errorMiddleware; nothing else should print stacks
  app.use(errorMiddleware(deps.log));
  const health = healthRoutes(deps.db);
  app.use(health.routes());
  return app;
}
