import { publicUser, resolveUser } from '../../accounts/accounts-service.js';
import { markEmailVerifiedAs, sendPasswordResetAs } from '../../accounts/user-administration.js';
import { listOutbox, type MailStatus } from '../../mail/index.js';
import { CLI_CALLER } from '../../rbac/caller.js';
import { UsageError, type Command } from '../command.js';
import { userReference as reference, userTarget as target } from '../user-reference.js';
import { formatTable } from '../format-table.js';

const STATUSES: MailStatus[] = ['pending', 'sent', 'failed'];

export const userSendReset: Command = {
  name: 'user send-reset',
  summary: 'mail a user a password reset link (works once, for 30 minutes); the server sends it',
  usage: '(--email E | --id ID)',
  options: target,
  async run(ctx, options) {
    const mailing = await ctx.mailing();
    const user = await resolveUser(mailing, reference(options));
    await sendPasswordResetAs(mailing, CLI_CALLER, user.id, { via: 'cli' }, ctx.config.auth.pages.default_locale);
    ctx.print(`a reset link to ${user.email} is queued in the outbox`, publicUser(user));
  },
};

export const userVerify: Command = {
  name: 'user verify',
  summary: "mark a user's email address as confirmed (email_verified), without a link",
  usage: '(--email E | --id ID)',
  options: target,
  async run(ctx, options) {
    const accounts = await ctx.accounts();
    const user = await markEmailVerifiedAs(accounts, CLI_CALLER, (await resolveUser(accounts, reference(options))).id, { via: 'cli' });
    ctx.print(`${user.email} is confirmed`, publicUser(user));
  },
};

export const outboxList: Command = {
  name: 'outbox list',
  summary: 'list the mail outbox, newest first: status, attempts, last error',
  usage: '[--status pending|sent|failed] [--limit N]',
  options: { status: { type: 'string' }, limit: { type: 'string' } },
  async run(ctx, options) {
    const status = options.status as MailStatus | undefined;
    if (status !== undefined && !STATUSES.includes(status)) throw new UsageError(`--status must be one of ${STATUSES.join(', ')}`);
    const limit = Number(options.limit ?? 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new UsageError('--limit must be a whole number from 1 to 10000');
    const mails = await listOutbox((await ctx.database()).knex, { status, limit, offset: 0 });
    const rows = mails.map((m) => [m.created_at, m.template, m.recipient, m.status, m.attempts, m.last_error]);
    ctx.print(mails.length ? formatTable(['CREATED', 'MAIL', 'TO', 'STATUS', 'ATTEMPTS', 'LAST ERROR'], rows) : 'no mail', { mails });
  },
};
