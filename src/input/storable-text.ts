/**
 * Postgres cannot store every JavaScript string: `text` refuses NUL, `jsonb` refuses the escape \u0000
 * and lone UTF-16 surrogates (and the driver would silently turn a lone surrogate in `text` into U+FFFD).
 * Such input is the caller's mistake, so it is refused as a bad request before any query sees it,
 * instead of failing inside the database as a 500.
 */
export function isStorableText(value: string): boolean {
  return !value.includes('\u0000') && value.isWellFormed();
}

/**
 * The first place in a parsed request part (query, form or JSON body: strings, arrays, objects and their
 * keys) holding text Postgres cannot store, named for the error message; undefined when all is storable.
 */
export function findUnstorableText(value: unknown, where = 'the request', depth = 0): string | undefined {
  if (typeof value === 'string') return isStorableText(value) ? undefined : where;
  if (depth > 64 || value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = findUnstorableText(item, where, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    if (!isStorableText(key)) return 'a parameter name';
    const found = findUnstorableText(item, `"${key.slice(0, 64)}"`, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * A copy of `value` that Postgres can store, for records of what a client sent (the audit log): NUL
 * becomes U+FFFD, as do lone surrogates. Works on the values, never on JSON text, where a typed
 * backslash followed by "u0000" is indistinguishable from an escaped NUL by a pattern.
 */
export function toStorable(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replaceAll('\u0000', '\ufffd').toWellFormed();
  if (depth > 64 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => toStorable(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [toStorable(key) as string, toStorable(item, depth + 1)]));
}
