import { createServer } from 'node:http';
import { getHeapSpaceStatistics } from 'node:v8';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Counts the database round trips of a server process from the outside, without touching src/.
 *
 * Preload it into the server with `NODE_OPTIONS=--import=<this file's URL>` and `QUERY_COUNTER_PORT=<port>`
 * (see queryCounterEnv): it wraps node-postgres' Client.prototype.query, which knex calls once per
 * statement, and answers on 127.0.0.1:<port>:
 *   GET  /  -> { count, writes, statements: [first 120 characters of each, in order] } since the last reset
 *   POST /  -> reset
 * node-postgres sends each query as one message batch (simple Query, or Parse/Bind/Describe/Execute/Sync)
 * and waits for ReadyForQuery before the next one on that connection, so one call is one round trip.
 * On Postgres the tests check this against the wire (pg-wire-counter.ts counts Query and Sync messages).
 * Both database engines go through node-postgres, so the same count works on the embedded database.
 */

export const QUERY_COUNTER_MODULE = pathToFileURL(fileURLToPath(import.meta.url)).href;

/** Environment for a spawned server that counts its queries on `port`. */
export function queryCounterEnv(port: number): Record<string, string> {
  return { NODE_OPTIONS: `--import=${QUERY_COUNTER_MODULE}`, QUERY_COUNTER_PORT: String(port) };
}

export interface QueryCount {
  count: number;
  /** Statements that change data (insert, update, delete, or a CTE that does). */
  writes: number;
  statements: string[];
  /** process.memoryUsage() of the server, bytes (rss, heapTotal, heapUsed, external, arrayBuffers). */
  memory?: NodeJS.MemoryUsage;
  /** V8 heap spaces of the server: committed size and used bytes. */
  heapSpaces?: Record<string, { size: number; used: number }>;
}

/** The client side: reads and resets a server's counter. */
export function queryCounterClient(port: number) {
  const url = `http://127.0.0.1:${port}/`;
  return {
    async read(): Promise<QueryCount> {
      return (await (await fetch(url)).json()) as QueryCount;
    },
    async reset(): Promise<void> {
      await (await fetch(url, { method: 'POST' })).arrayBuffer();
    },
    /**
     * Runs `action`, then waits until no statement arrived for `quietMs` (work a request leaves running
     * after its answer is counted too), and returns what ran.
     */
    async measure(action: () => Promise<unknown>, quietMs = 150): Promise<QueryCount> {
      await this.reset();
      await action();
      let last = -1;
      for (;;) {
        const { count } = await this.read();
        if (count === last) break;
        last = count;
        await new Promise((resolve) => setTimeout(resolve, quietMs));
      }
      return this.read();
    },
  };
}

const WRITE = /^\s*(insert|update|delete)\b|\b(insert\s+into|update\s+\w+\s+set|delete\s+from)\b/i;

export function isWrite(statement: string): boolean {
  return WRITE.test(statement);
}

async function install(port: number): Promise<void> {
  const { default: pg } = await import('pg');
  let count = 0;
  let writes = 0;
  let statements: string[] = [];
  const MAX_KEPT = 1000;
  const prototype = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = prototype.query;
  prototype.query = function countedQuery(this: unknown, ...args: unknown[]) {
    const config = args[0];
    const text = typeof config === 'string' ? config : typeof (config as { text?: unknown })?.text === 'string' ? (config as { text: string }).text : '';
    count++;
    if (isWrite(text)) writes++;
    if (statements.length < MAX_KEPT) statements.push(text.replace(/\s+/g, ' ').trim().slice(0, 120));
    return original.apply(this, args);
  };
  const server = createServer((req, res) => {
    if (req.method === 'POST') {
      count = 0;
      writes = 0;
      statements = [];
      res.end('{}');
      return;
    }
    res.setHeader('content-type', 'application/json');
    const heapSpaces = Object.fromEntries(getHeapSpaceStatistics().map((space) => [space.space_name, { size: space.space_size, used: space.space_used_size }]));
    res.end(JSON.stringify({ count, writes, statements, memory: process.memoryUsage(), heapSpaces } satisfies QueryCount));
  });
  server.unref();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

// Loaded as a preload (--import) into a process that set QUERY_COUNTER_PORT: count. Imported by a test: nothing.
const port = Number(process.env.QUERY_COUNTER_PORT);
if (Number.isInteger(port) && port > 0 && process.env.QUERY_COUNTER_ACTIVE !== 'no') {
  process.env.QUERY_COUNTER_ACTIVE = 'no'; // children of the server (none today) would not try to bind the port again
  await install(port);
}
