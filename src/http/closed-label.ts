/** `value` when it is one of `allowed`, `other` for anything else (a missing value included). */
export function closedLabel(value: unknown, allowed: ReadonlySet<string>): string {
  return typeof value === 'string' && allowed.has(value) ? value : 'other';
}
