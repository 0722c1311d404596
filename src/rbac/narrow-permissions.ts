/**
 * The permissions a token carries: what was asked for, narrowed to what the subject holds; when nothing
 * was asked for, everything it holds (DESIGN.md, Tokens).
 */
export function narrowPermissions(requested: Iterable<string> | undefined, held: readonly string[]): string[] {
  const asked = new Set(requested ?? []);
  return asked.size === 0 ? [...held] : held.filter((permission) => asked.has(permission));
}
