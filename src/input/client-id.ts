const CLIENT_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * The one shape check for client ids before a lookup: printable ASCII, at most 128 characters (generated
 * ids are base64url, clients.json allows a narrower set). Anything else cannot name a client, so it is
 * "unknown client" without a query, and never a NUL byte or an oversized value sent to Postgres.
 */
export function isClientId(value: unknown): value is string {
  return typeof value === 'string' && CLIENT_ID.test(value);
}
