import type { Command } from '../command.js';
import { formatTable } from '../format-table.js';

export const rolesList: Command = {
  name: 'roles list',
  summary: 'list the roles of roles.json and their permissions',
  async run(ctx) {
    const { roles } = ctx.config.roles;
    const rows = Object.entries(roles).map(([name, role]) => [name, role.permissions.join(','), role.description ?? '']);
    ctx.print(formatTable(['ROLE', 'PERMISSIONS', 'DESCRIPTION'], rows), roles);
  },
};
