import type { Command } from '../command.js';
import { configShow } from './config-show.js';
import { health } from './health.js';
import { init } from './init.js';
import { migrate } from './migrate.js';
import { rolesList } from './roles-list.js';
import { userCreate } from './user-create.js';
import { userList } from './user-list.js';
import { userDisable, userEnable, userSetRole } from './user-update.js';

export const commands: Command[] = [init, migrate, userCreate, userList, userSetRole, userDisable, userEnable, rolesList, configShow, health];
