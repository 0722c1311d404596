import type { Knex } from 'knex';
import { activeSession } from '../sessions/sessions-repository.js';

export interface Totals {
  users: number;
  activeUsers: number;
  clients: number;
  activeSessions: number;
}

/** One hour of activity: sign-ins by outcome (audit log) and sessions started (each a code redeemed for tokens). */
export interface HourRow {
  hour: Date;
  logins: number;
  failedLogins: number;
  sessionsStarted: number;
}

export async function countTotals(db: Knex, sessionTimeoutMinutes: number): Promise<Totals> {
  const [users, clients, sessions] = await Promise.all([
    db('users').first<{ users: number; activeUsers: number }>(
      db.raw('count(*)::int as users'),
      db.raw('count(*) filter (where is_active)::int as "activeUsers"'),
    ),
    db('clients').count<{ count: string }[]>('* as count').first(),
    db('user_sessions').whereRaw(activeSession(), [sessionTimeoutMinutes]).count<{ count: string }[]>('* as count').first(),
  ]);
  return {
    users: Number(users?.users ?? 0),
    activeUsers: Number(users?.activeUsers ?? 0),
    clients: Number(clients?.count ?? 0),
    activeSessions: Number(sessions?.count ?? 0),
  };
}

/** Activity per hour since `since`, from the shared database, so every instance's share is counted. */
export async function hourlyActivity(db: Knex, since: Date): Promise<HourRow[]> {
  const { rows } = (await db.raw(
    `with logins as (
       select date_trunc('hour', occurred_at) as hour,
              count(*) filter (where outcome = 'success')::int as logins,
              count(*) filter (where outcome = 'failure')::int as failed
         from audit_events where event = 'login' and occurred_at >= ? group by 1),
     started as (
       select date_trunc('hour', created_at) as hour, count(*)::int as started
         from user_sessions where created_at >= ? group by 1)
     select coalesce(l.hour, s.hour) as hour, coalesce(l.logins, 0) as logins, coalesce(l.failed, 0) as failed, coalesce(s.started, 0) as started
       from logins l full join started s on s.hour = l.hour order by 1`,
    [since, since],
  )) as { rows: { hour: Date | string; logins: number; failed: number; started: number }[] };
  return rows.map((r) => ({ hour: new Date(r.hour), logins: Number(r.logins), failedLogins: Number(r.failed), sessionsStarted: Number(r.started) }));
}
