const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The one check for ids stored as Postgres `uuid` (users, sessions, API keys): anything else would make
 * the query itself fail, so callers answer "not found" or 400 without asking the database.
 */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
