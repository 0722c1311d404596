import type { Knex } from 'knex';

/**
 * A read of at most one row that another statement carries with it, so a request pays one round trip for
 * both: `sql` is a select (`?` placeholders, `bindings` their values) joined laterally to the carrier, and
 * `map` turns its row (undefined when it found none) into what the caller wants.
 */
export interface ReadAlong<R> {
  sql: string;
  bindings: readonly Knex.Value[];
  map(row: Record<string, unknown> | undefined): R;
}

/** The carrier's part of the join: `left join lateral … on true`, with a marker that tells "no row" from a row of nulls. */
export function readAlongJoin(read: ReadAlong<unknown>): string {
  return `left join lateral (select true as read_along_found, a.* from (${read.sql}) a) read_along on true`;
}

/** The read's row out of the carrier's answer (its own columns only), or undefined when it found none. */
export function readAlongRow(carrierRow: Record<string, unknown>, carrierColumns: readonly string[]): Record<string, unknown> | undefined {
  if (carrierRow.read_along_found !== true) return undefined;
  const row: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(carrierRow)) if (column !== 'read_along_found' && !carrierColumns.includes(column)) row[column] = value;
  return row;
}
