import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;

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
    seal(rotatedId, successor) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(rotatedId, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(successor, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64url');
    },
    open(rotatedId, sealed) {
      const bytes = Buffer.from(sealed, 'base64url');
      if (bytes.length <= IV_BYTES + TAG_BYTES) return undefined;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
        decipher.setAAD(Buffer.from(rotatedId, 'utf8'));
        decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
        return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch {
        // sealed under another JWT_SECRET (it was changed): no retry, so reuse detection applies as without a window
        return undefined;
      }
    },
  };
}
