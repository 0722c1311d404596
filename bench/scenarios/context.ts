import type { Seeded } from '../environment.js';
import type { BenchProcess } from '../processes.js';

export interface BenchContext {
  /** auth-connect on Postgres, with the query counter preloaded. */
  ours: BenchProcess;
  /** Bare oidc-provider with the Map adapter. */
  bare: BenchProcess;
  seeded: Seeded;
  /** The bench database (Postgres) and configuration the servers use. */
  databaseUrl: string;
  configDir: string;
  counterPort: number;
  /** Runs `during` while sampling the RSS of auth-connect (kept as the under-load maximum). */
  underLoad<T>(during: () => Promise<T>): Promise<T>;
  /** Starts another auth-connect process on the same database, keys and secret (`env`: more settings, such as WORKERS). */
  startAnother(name: string, env?: Record<string, string>): Promise<BenchProcess>;
  log(message: string): void;
}
