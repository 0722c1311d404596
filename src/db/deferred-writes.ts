import { AsyncLocalStorage } from 'node:async_hooks';
import type { Knex } from 'knex';
import { runStatement } from './run-statement.js';

/**
 * One write that can also run as part of a combined statement: `ctes` is one or more named common table
 * expressions (`name as (insert …)`, data-modifying statements without a WITH of their own), `?` placeholders
 * in order, `bindings` their values. Names must be unique within a combined statement.
 */
export interface Write {
  ctes: string;
  bindings: readonly Knex.Value[];
  /** the same write as a plain statement, run when nothing is deferred */
  sql?: string;
}

interface Deferral {
  db: Knex;
  writes: Write[];
}

const deferral = new AsyncLocalStorage<Deferral>();
let unnamed = 0;

/** A single data-modifying statement as a Write (named for the combined statement). */
export function statement(sql: string, bindings: readonly Knex.Value[]): Write {
  unnamed = (unnamed + 1) % 1_000_000;
  return { ctes: `w${unnamed} as (${sql})`, bindings, sql };
}

/**
 * Runs `work` with the writes it makes through `write()` on `db` held back, then sends them as one statement
 * (Postgres runs every data-modifying CTE of a statement, all or none): a request that ends in several
 * independent writes — a password login's last-login time, throttle refund, audit row, grant, session and
 * refresh token — pays one round trip for them. Only writes nothing in `work` reads back may be deferred;
 * the writers that offer it are those a login makes. The writes are sent also when `work` fails (a login
 * that continues with a second factor still refunds its throttle token and audits the password step).
 */
export async function withDeferredWrites<T>(db: Knex, work: () => Promise<T>): Promise<T> {
  const pending: Deferral = { db, writes: [] };
  let result: T;
  try {
    result = await deferral.run(pending, work);
  } catch (error) {
    await send(pending).catch(() => {}); // the failure reported is work's
    throw error;
  }
  await send(pending);
  return result;
}

/** True inside withDeferredWrites on this db: a write now would be held back. */
export function deferring(db: Knex): boolean {
  return deferral.getStore()?.db === db;
}

/** Runs the write now or, inside withDeferredWrites on the same db, with the others at its end. */
export async function write(db: Knex, change: Write): Promise<void> {
  const pending = deferral.getStore();
  if (pending?.db === db) {
    pending.writes.push(change);
    return;
  }
  await runStatement(db, change.sql ?? `with ${change.ctes} select 1`, change.bindings);
}

async function send(pending: Deferral): Promise<void> {
  const { writes } = pending;
  if (writes.length === 0) return;
  pending.writes = [];
  await runStatement(
    pending.db,
    `with ${writes.map((w) => w.ctes).join(',\n')} select 1`,
    writes.flatMap((w) => [...w.bindings]),
  );
}
