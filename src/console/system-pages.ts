import type Router from '@koa/router';
import { emailsOf, listAccounts, type AccountsContext } from '../accounts/accounts-service.js';
import { listApiKeys, revokeApiKey } from '../apikeys/api-keys-service.js';
import { isUuid } from '../input/uuid.js';
import type { KeyEncryptionKey } from '../keys/key-encryption.js';
import { listSigningKeys, rotateSigningKeys } from '../keys/signing-keys-service.js';
import { MANAGE_SYSTEM, MANAGE_USERS } from '../rbac/management-permissions.js';
import { endSessions, listAllSessions } from '../sessions/sessions-service.js';
import { AuthConnectError } from '../errors.js';
import { consoleOrigin, day, paging, seeOther, type consolePages } from './console-page.js';
import type { ConsoleState } from './console-sign-in.js';

export interface SystemPagesDeps {
  accounts: AccountsContext;
  keyEncryptionKey: KeyEncryptionKey;
  /** Applies a key rotation to this instance at once (others follow the database). */
  onKeysRotated: () => Promise<void>;
}

const PAGE_SIZE = 50;
const NO_ID = '00000000-0000-0000-0000-000000000000';

/** Roles (read-only, from roles.json), sessions and API keys across users, signing keys: the admin API's rules. */
export function systemPages(router: Router<ConsoleState>, pages: ReturnType<typeof consolePages>, deps: SystemPagesDeps) {
  const { render, needs, changes, state } = pages;
  const { accounts } = deps;
  const { db, config } = accounts;
  const id = (value: string | undefined) => (value && isUuid(value) ? value : NO_ID);

  router.get('/roles', needs(MANAGE_USERS), async (ctx) => {
    const roles = await Promise.all(
      Object.entries(config.roles.roles).map(async ([name, role]) => {
        const { users, total } = await listAccounts(accounts, { role: name, limit: PAGE_SIZE, offset: 0 });
        return { name, description: role.description ?? '', permissions: role.permissions, users: users.map((u) => ({ id: u.id, email: u.email })), total };
      }),
    );
    const described = Object.entries(config.roles.permissions ?? {}).map(([name, description]) => ({ name, description }));
    render(ctx, 'console-roles', (tr) => tr.t('console.roles.title'), { roles, permissions: described });
  });

  router.get('/sessions', needs(MANAGE_USERS), async (ctx) => {
    const { page, limit, offset } = paging(ctx, PAGE_SIZE);
    const sessions = await listAllSessions(accounts, { limit: limit + 1, offset });
    const emails = await emailsOf(
      accounts,
      sessions.map((s) => s.user_id),
    );
    render(ctx, 'console-sessions', (tr) => tr.t('console.sessions.title'), {
      sessions: sessions.slice(0, limit).map((s) => ({
        id: s.id,
        userId: s.user_id,
        email: emails.get(s.user_id) ?? s.user_id,
        client: s.client_id,
        ip: s.ip ?? '',
        started: day(s.created_at),
        lastUsed: day(s.last_used_at),
      })),
      page,
      more: sessions.length > limit,
    });
  });

  router.post('/sessions/:id/end', needs(MANAGE_USERS), ...changes, async (ctx) => {
    const ended = await endSessions(accounts, { kind: 'one', sessionId: id(ctx.params.id) }, 'ended_by_admin', state(ctx).caller.actor);
    if (!ended.length) throw new AuthConnectError('SESSION_NOT_FOUND', 'no such active session');
    seeOther(ctx, '/console/sessions', 'ended');
  });

  router.get('/api-keys', needs(MANAGE_SYSTEM), async (ctx) => {
    const keys = await listApiKeys(db);
    const emails = await emailsOf(
      accounts,
      keys.map((k) => k.user_id),
    );
    render(ctx, 'console-api-keys', (tr) => tr.t('console.api_keys.title'), {
      keys: keys.map((k) => ({
        id: k.id,
        userId: k.user_id,
        email: emails.get(k.user_id) ?? k.user_id,
        name: k.name,
        prefix: k.prefix,
        permissions: k.permissions.join(', '),
        active: k.is_active && !k.revoked_at,
        lastUsed: day(k.last_used_at),
        expires: day(k.expires_at),
      })),
    });
  });

  router.post('/api-keys/:id/revoke', needs(MANAGE_SYSTEM), ...changes, async (ctx) => {
    await revokeApiKey(db, id(ctx.params.id), state(ctx).caller.actor);
    seeOther(ctx, '/console/api-keys', 'revoked');
  });

  router.get('/keys', needs(MANAGE_SYSTEM), async (ctx) => {
    const keys = await listSigningKeys(db, config.auth.jwt.algorithm);
    render(ctx, 'console-keys', (tr) => tr.t('console.keys.title'), {
      keys: keys.map((k) => ({ ...k, created: day(k.created_at), signFrom: day(k.sign_from), retireAt: day(k.retire_at) })),
      algorithm: config.auth.jwt.algorithm,
    });
  });

  router.post('/keys/rotate', needs(MANAGE_SYSTEM), ...changes, async (ctx) => {
    await rotateSigningKeys({ db, auth: config.auth, kek: deps.keyEncryptionKey }, state(ctx).caller.actor, consoleOrigin(ctx));
    await deps.onKeysRotated();
    seeOther(ctx, '/console/keys', 'rotated');
  });
}
