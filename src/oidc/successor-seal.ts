import { hkdfSync } from 'node:crypto';
import { openSealedText, sealText } from '../util/sealed-text.js';

export interface SuccessorSeal {
  seal(rotatedId: string, successor: string): string;
  /** undefined when the text was not sealed with this server secret for this row */
  open(rotatedId: string, sealed: string): string | undefined;
}

/**
 * AES-256-GCM for the successor a rotated refresh token remembers (src/oidc/refresh-retry.ts): the value is a
 * live bearer credential, so the database holds it only sealed. The key comes from the server secret through
 * HKDF, so every instance with the same JWT_SECRET opens what another sealed, and the secret itself encrypts
 * nothing. The rotated token's id is the associated data: a sealed value copied to another row does not open.
 */
export function successorSeal(serverSecret: string): SuccessorSeal {
  const key = Buffer.from(hkdfSync('sha256', serverSecret, '', 'auth-connect refresh-token successor v1', 32));
  return {
    seal: (rotatedId, successor) => sealText(key, rotatedId, successor),
    // undefined also when sealed under another JWT_SECRET (it was changed): no retry, so reuse detection applies as without a window
    open: (rotatedId, sealed) => openSealedText(key, rotatedId, sealed),
  };
}
