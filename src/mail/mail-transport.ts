import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Transporter } from 'nodemailer';
import type { RuntimeSettings } from '../config/types.js';
import type { Logger } from '../logger.js';

export interface OutgoingMail {
  id: string;
  from: string | { name: string; address: string };
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Where mail goes: an SMTP server, or .eml files. `send` throws when the mail did not get there. */
export interface MailTransport {
  description: string;
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/**
 * SMTP_URL set: nodemailer over SMTP, with every wait bounded by `timeoutSeconds` so a hanging server
 * cannot hold a claimed mail past its lease. Unset: each mail is written as DATA_DIR/outbox/<time>-<id>.eml
 * (owner-only, as all of DATA_DIR) and one log line names the file, so development needs no mail server.
 */
export function createMailTransport(runtime: Pick<RuntimeSettings, 'smtpUrl' | 'dataDir' | 'issuer'>, log: Logger, timeoutSeconds: number): MailTransport {
  // a stable Message-ID: should a mail ever go out twice (a crash between sending and recording it), readers see one
  const host = new URL(runtime.issuer).hostname || 'auth-connect';
  const messageId = (id: string) => `<${id}@${host}>`;
  if (runtime.smtpUrl) {
    const ms = timeoutSeconds * 1000;
    const smtpUrl = runtime.smtpUrl;
    const smtp = onFirstMail(async () =>
      (await import('nodemailer')).default.createTransport(smtpUrl, { connectionTimeout: ms, greetingTimeout: ms, socketTimeout: ms }),
    );
    const url = new URL(runtime.smtpUrl);
    return {
      description: `SMTP at ${url.protocol}//${url.host}`,
      async send(mail) {
        await (await smtp.get()).sendMail({ ...mail, messageId: messageId(mail.id) });
      },
      close: () => smtp.made?.close(),
    };
  }
  const dir = path.join(runtime.dataDir, 'outbox');
  const files = onFirstMail(async () => (await import('nodemailer')).default.createTransport({ streamTransport: true, buffer: true, newline: 'unix' }));
  return {
    description: `files in ${dir}`,
    async send(mail) {
      const { message } = (await (await files.get()).sendMail({ ...mail, messageId: messageId(mail.id) })) as { message: Buffer };
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${mail.id}.eml`);
      writeFileSync(file, message, { mode: 0o600 });
      log.info({ file, to: mail.to }, `mail to ${mail.to} written to ${file} (no SMTP_URL set)`);
    },
    close: () => files.made?.close(),
  };
}

/**
 * A transporter made when the first mail goes out: nodemailer is loaded then, not at start, since most of a
 * server's life sends no mail (it holds about 4 MB of heap).
 */
function onFirstMail(make: () => Promise<Transporter>): { get(): Promise<Transporter>; readonly made: Transporter | undefined } {
  let pending: Promise<Transporter> | undefined;
  let made: Transporter | undefined;
  return {
    get: () =>
      (pending ??= make().then((transporter) => {
        made = transporter;
        return transporter;
      })),
    get made() {
      return made;
    },
  };
}
