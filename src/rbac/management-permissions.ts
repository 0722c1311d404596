/**
 * The permissions our own management API checks (never the role names): users and their sessions,
 * and everything else an operator does — clients, API keys of anyone, signing keys, the audit log.
 */
export const MANAGE_USERS = 'manage_users';
export const MANAGE_SYSTEM = 'manage_system';
