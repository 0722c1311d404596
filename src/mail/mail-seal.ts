import { hkdfSync } from 'node:crypto';
import { openSealedText, sealText } from '../util/sealed-text.js';

export interface MailSeal {
  seal(rowId: string, data: object): string;
  /** undefined when sealed under another server secret (JWT_SECRET changed) or altered */
  open(rowId: string, sealed: string): Record<string, string> | undefined;
}

/**
 * AES-256-GCM for the values of a queued mail: a reset or verification link is a live credential until
 * used, so the outbox keeps it only sealed. The key comes from the server secret through HKDF (every
 * instance and the CLI with the same JWT_SECRET share it); the row id is the associated data.
 */
export function mailSeal(serverSecret: string): MailSeal {
  const key = Buffer.from(hkdfSync('sha256', serverSecret, '', 'auth-connect mail outbox v1', 32));
  return {
    seal: (rowId, data) => sealText(key, rowId, JSON.stringify(data)),
    open: (rowId, sealed) => {
      const text = openSealedText(key, rowId, sealed);
      return text === undefined ? undefined : (JSON.parse(text) as Record<string, string>);
    },
  };
}
