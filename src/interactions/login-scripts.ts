/** The sign-in pages' passkey script (views/assets/passkey-login.js), loaded as a module from our own origin. */
export const LOGIN_SCRIPTS = ['/assets/passkey-login.js'];
