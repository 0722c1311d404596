import type { Knex } from 'knex';
import type { Config } from '../config/types.js';
import { countTotals, hourlyActivity, type HourRow, type Totals } from './activity-repository.js';

export type { HourRow, Totals };

export interface Activity {
  totals: Totals;
  /** The last 24 hours, oldest first, one row per hour (hours without activity as zeros). */
  hours: HourRow[];
  lastHour: Omit<HourRow, 'hour'>;
  lastDay: Omit<HourRow, 'hour'>;
}

const HOUR_MS = 3600_000;

/**
 * What the console's overview shows. Everything comes from the database all instances share (the audit
 * log's sign-ins, the sessions table), never from one process's Prometheus counters, which see only the
 * requests that instance served and start again at zero on every restart.
 */
export async function recentActivity(ctx: { db: Knex; config: Pick<Config, 'auth'> }, now = Date.now()): Promise<Activity> {
  const firstHour = Math.floor(now / HOUR_MS) * HOUR_MS - 23 * HOUR_MS;
  const [totals, rows] = await Promise.all([countTotals(ctx.db, ctx.config.auth.session.session_timeout_minutes), hourlyActivity(ctx.db, new Date(firstHour))]);
  const byHour = new Map(rows.map((row) => [row.hour.getTime(), row]));
  const hours = Array.from({ length: 24 }, (_, i) => {
    const hour = new Date(firstHour + i * HOUR_MS);
    return byHour.get(hour.getTime()) ?? { hour, logins: 0, failedLogins: 0, sessionsStarted: 0 };
  });
  const sum = (list: HourRow[]) => ({
    logins: list.reduce((n, h) => n + h.logins, 0),
    failedLogins: list.reduce((n, h) => n + h.failedLogins, 0),
    sessionsStarted: list.reduce((n, h) => n + h.sessionsStarted, 0),
  });
  return { totals, hours, lastHour: sum(hours.slice(-1)), lastDay: sum(hours) };
}
