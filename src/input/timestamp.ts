// date, or date and time with optional seconds, fraction and offset; four-digit years only
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * The one parser for timestamps that callers send (filters such as ?since=): ISO 8601 with a year from
 * 0001 to 9999. JavaScript's Date accepts far more (free text, years ±275760) than Postgres `timestamptz`
 * holds, and a date Postgres refuses would fail the query as a 500. Undefined when the text is not one.
 */
export function parseTimestamp(text: string): Date | undefined {
  const match = ISO_8601.exec(text);
  if (!match || match[1] === '0000') return undefined;
  const [month, day, hour = '0', minute = '0', second = '0'] = match.slice(2, 7).map((part) => part ?? '0');
  if (Number(month) < 1 || Number(month) > 12 || Number(day) < 1 || Number(day) > 31) return undefined;
  if (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) return undefined;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
