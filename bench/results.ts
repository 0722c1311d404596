import type { Argon2Result } from './argon2-alone.js';
import type { LoadResult } from './load/spec.js';
import type { AloneResult } from './scenarios/postgres-alone.js';
import type { WrkResult } from './scenarios/wrk-cross-check.js';

export interface RoundTrips {
  grant: string;
  /** Database round trips per request (average over the samples; the samples agree unless noted). */
  perRequest: number;
  writes: number;
  samples: number[];
  statements: string[];
}

/** Everything one `npm run bench` measured; report.ts turns it into the table. */
export interface Results {
  machine: { cpus: number; cpuModel: string; node: string; postgres: string; date: string; quick: boolean; command: string };
  /** firstOnEmptyDatabase: the first start also migrated a fresh database (false when DATABASE_URL was given). */
  startup: {
    firstMs: number;
    restartMs: number[];
    idleMb: number;
    firstOnEmptyDatabase: boolean;
    embedded: { firstMs: number; restartMs: number[]; idleMb: number };
  };
  clientCredentials: { ours: LoadResult; bare: LoadResult };
  /** client_credentials again, with wrk as the load generator (when installed). */
  wrk: WrkResult;
  refresh: { ours: LoadResult; bare: LoadResult; pool: number };
  codes: { ours: LoadResult; bare: LoadResult; minted: number; mintSeconds: number };
  /** The database statements of a refresh and a code redemption, through pg alone (no HTTP, no provider). */
  postgresAlone: { refresh: AloneResult; codes: AloneResult };
  login: { ours: LoadResult; argon2: Argon2Result; overload: LoadResult; concurrency: number; overloadConnections: number };
  kit: { unprotected: LoadResult; protectedRepeated: LoadResult; protectedDistinct: LoadResult; jwtVerifyDistinct: LoadResult; jwtVerifyRepeated: LoadResult };
  scaleOut: { one: LoadResult; two: LoadResult[] };
  /** The same load on a server with WORKERS=1 and one with WORKERS=2. */
  workers: { one: LoadResult; two: LoadResult };
  memory: {
    idleMb: number;
    underLoadMb: number;
    afterLoadMb: number;
    peakMb: number;
    bareUnderLoadMb: number /** V8 heap spaces committed (MB) after the row that reached the highest RSS. */;
    heapAtPeak: Record<string, number>;
  };
  roundTrips: RoundTrips[];
}
