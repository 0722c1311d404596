import type { Seeded } from '../environment.js';
import type { BenchProcess } from '../processes.js';

export interface BenchContext {
  /** auth-connect on Postgres, with the query counter preloaded. */
  ours: BenchProcess;
  /** Bare oidc-provider with the Map adapter. */
  bare: BenchProcess;
  seeded: Seeded;
  counterPort: number;
  /** Runs `during` while sampling the RSS of auth-connect (kept as the under-load maximum). */
  underLoad<T>(during: () => Promise<T>): Promise<T>;
  /** Starts another auth-connect process on the same database, keys and secret. */
  startAnother(name: string): Promise<BenchProcess>;
  log(message: string): void;
}
