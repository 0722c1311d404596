import { redactDatabaseUrl } from '../../db/database-errors.js';
import { checkProductionRequirements } from '../../config/production-checks.js';
import type { Command } from '../command.js';

export const configShow: Command = {
  name: 'config show',
  summary: 'validate the configuration and print it as the server sees it (secrets redacted)',
  async run(ctx) {
    // the same production checks as `npm start`, so "config show" passing means the server would start
    checkProductionRequirements(ctx.config);
    const { auth, roles, clients, runtime } = ctx.config;
    const shown = {
      auth: { ...auth, $schema: undefined },
      roles: roles.roles,
      clients: clients.map((client) => ({ ...client, client_secret_hash: client.client_secret_hash ? '[redacted]' : undefined })),
      runtime: {
        ...runtime,
        databaseUrl: runtime.databaseUrl ? redactDatabaseUrl(runtime.databaseUrl) : `(embedded database in ${runtime.dataDir})`,
        jwtSecret: runtime.jwtSecret ? '[set]' : runtime.production ? '[missing]' : `[generated in ${runtime.dataDir}]`,
        smtpUrl: runtime.smtpUrl ? redactDatabaseUrl(runtime.smtpUrl) : `(none: mails are written to ${runtime.dataDir}/outbox/)`,
        keysEncryptionKey: runtime.keysEncryptionKey ? '[set]' : '[derived from the server secret]',
      },
    };
    ctx.print(JSON.stringify(shown, null, 2), shown);
  },
};
