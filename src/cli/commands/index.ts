import type { Command } from '../command.js';
import { apikeyCreate, apikeyList, apikeyRevoke } from './apikey.js';
import { clientCreate, clientDelete, clientHashSecret, clientList } from './client.js';
import { configShow } from './config-show.js';
import { health } from './health.js';
import { init } from './init.js';
import { keysGenerate, keysImport, keysList, keysRotate } from './keys.js';
import { migrate } from './migrate.js';
import { outboxList, userSendReset, userVerify } from './mail.js';
import { rolesList } from './roles-list.js';
import { tokenVerify } from './token-verify.js';
import { userCreate } from './user-create.js';
import { userList } from './user-list.js';
import { userMfaReset } from './user-mfa-reset.js';
import { userDisable, userEnable, userSetRole } from './user-update.js';

export const commands: Command[] = [
  init,
  migrate,
  keysGenerate,
  keysImport,
  keysList,
  keysRotate,
  userCreate,
  userList,
  userSetRole,
  userDisable,
  userEnable,
  userMfaReset,
  userSendReset,
  userVerify,
  rolesList,
  clientCreate,
  clientList,
  clientDelete,
  clientHashSecret,
  apikeyCreate,
  apikeyList,
  apikeyRevoke,
  tokenVerify,
  outboxList,
  configShow,
  health,
];
