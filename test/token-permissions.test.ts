import assert from 'node:assert/strict';
import { tokenPermissions, type PermissionRequest } from '../src/rbac/token-permissions.js';

const ADMIN = ['read', 'write', 'delete', 'manage_users', 'manage_content', 'manage_system'];
const INSTRUCTOR = ['read', 'write', 'manage_content'];

/** [what the case is, the request, the permissions the token must carry] */
const table: [string, PermissionRequest, string[]][] = [
  ['first-party, nothing asked: all the user holds', { audience: 'first-party', held: ADMIN, asked: [] }, ADMIN],
  ['third-party, nothing asked: none', { audience: 'third-party', held: ADMIN, asked: [] }, []],
  ['machine, nothing asked: its whole registration', { audience: 'machine', held: ['manage_users', 'delete'], asked: [] }, ['manage_users', 'delete']],
  ['first-party, one held permission asked', { audience: 'first-party', held: INSTRUCTOR, asked: ['read'] }, ['read']],
  ['first-party, one permission not held asked: empty, never everything', { audience: 'first-party', held: INSTRUCTOR, asked: ['manage_users'] }, []],
  ['third-party, asked and consented', { audience: 'third-party', held: INSTRUCTOR, asked: ['read', 'write'], granted: ['read', 'write'] }, ['read', 'write']],
  ['third-party, asked but only part consented', { audience: 'third-party', held: INSTRUCTOR, asked: ['read', 'write'], granted: ['read'] }, ['read']],
  ['third-party, asked, consented, but no longer held', { audience: 'third-party', held: ['read'], asked: ['write'], granted: ['write'] }, []],
  ['refresh narrowed to no permission scope: none', { audience: 'first-party', held: INSTRUCTOR, asked: ['read', 'write'], granted: [] }, []],
  ['refresh of a first-party login that asked nothing: still all held', { audience: 'first-party', held: INSTRUCTOR, asked: [] }, INSTRUCTOR],
  ['machine, asked one of its permissions', { audience: 'machine', held: ['manage_users', 'delete'], asked: ['delete'] }, ['delete']],
  ['machine, asked one it lacks: empty', { audience: 'machine', held: ['manage_users', 'delete'], asked: ['read'] }, []],
  [
    'client registered with a subset bounds a first-party login',
    { audience: 'first-party', held: ADMIN, clientAllows: ['read', 'write'], asked: [] },
    ['read', 'write'],
  ],
  [
    'client registered with a subset bounds what is asked',
    { audience: 'first-party', held: ADMIN, clientAllows: ['read'], asked: ['read', 'delete'] },
    ['read'],
  ],
  ['client with no registered permissions adds no bound', { audience: 'first-party', held: INSTRUCTOR, clientAllows: [], asked: [] }, INSTRUCTOR],
  ['API key narrower than the role (held is the key ∩ role)', { audience: 'first-party', held: ['read'], asked: [] }, ['read']],
  ['API key with no permissions', { audience: 'first-party', held: [], asked: [] }, []],
  ['duplicates in what is held appear once', { audience: 'first-party', held: ['read', 'read'], asked: [] }, ['read']],
];

describe('the permission rule: held ∩ allowed for the client ∩ asked (∩ granted)', () => {
  for (const [name, request, expected] of table) {
    it(name, () => assert.deepEqual(tokenPermissions(request), expected));
  }
});
