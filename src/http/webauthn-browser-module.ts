import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const EXPORTS = ['startRegistration', 'startAuthentication', 'browserSupportsWebAuthn', 'browserSupportsWebAuthnAutofill', 'WebAuthnAbortService'];

/**
 * @simplewebauthn/browser as an ES module served from our own origin (/assets/simplewebauthn-browser.js), so
 * the pages' CSP stays script-src 'self' with no CDN: its one-file bundle sets a global, which the module
 * re-exports. Read once at start-up from the installed package.
 */
export function webauthnBrowserModule(): string {
  const entry = fileURLToPath(import.meta.resolve('@simplewebauthn/browser'));
  const bundle = readFileSync(path.join(path.dirname(entry), '..', 'dist', 'bundle', 'index.umd.min.js'), 'utf8');
  return `${bundle}\nconst { ${EXPORTS.join(', ')} } = globalThis.SimpleWebAuthnBrowser;\nexport { ${EXPORTS.join(', ')} };\n`;
}
