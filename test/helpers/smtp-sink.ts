import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** A mail as the SMTP server received it, parsed. */
export interface ReceivedMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  parsed: ParsedMail;
}

/**
 * A real SMTP server on loopback (smtp-server) that keeps what it receives, parsed with mailparser.
 * `refuse(true)` makes it answer every mail with a temporary failure (451), as a server that is down for
 * mail would; the sender sees an SMTP error and must try again later.
 */
export interface SmtpSink {
  url: string;
  port: number;
  received: ReceivedMail[];
  refuse(on: boolean): void;
  /** Waits until a mail to `to` whose subject matches arrives (or `timeoutMs` passes); returns it. */
  waitFor(to: string, subject?: RegExp, timeoutMs?: number): Promise<ReceivedMail>;
  /** The mails to `to`, in arrival order. */
  to(address: string): ReceivedMail[];
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const received: ReceivedMail[] = [];
  const waiters = new Set<() => void>();
  let refusing = false;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (refusing) return callback(Object.assign(new Error('mail service busy, try later'), { responseCode: 451 }));
        simpleParser(Buffer.concat(chunks)).then(
          (parsed) => {
            for (const recipient of session.envelope.rcptTo) {
              received.push({
                to: recipient.address,
                subject: parsed.subject ?? '',
                text: parsed.text ?? '',
                html: typeof parsed.html === 'string' ? parsed.html : '',
                messageId: parsed.messageId ?? '',
                parsed,
              });
            }
            for (const wake of waiters) wake();
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  const to = (address: string) => received.filter((mail) => mail.to === address);
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    received,
    refuse: (on) => {
      refusing = on;
    },
    to,
    waitFor(address, subject = /./, timeoutMs = 15_000) {
      const find = () => to(address).find((mail) => subject.test(mail.subject));
      return new Promise((resolve, reject) => {
        const check = () => {
          const mail = find();
          if (!mail) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(mail);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(`no mail to ${address} matching ${subject} within ${timeoutMs} ms; received: ${received.map((m) => `${m.to}: ${m.subject}`).join('; ')}`),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The first link to one of our pages in a mail's text (the button's address). */
export function linkIn(mail: ReceivedMail, page: string): URL {
  const match = new RegExp(`https?://\\S+/${page}\\?token=[A-Za-z0-9_-]+&lang=\\w+`).exec(mail.text);
  if (!match) throw new Error(`no /${page} link in the mail "${mail.subject}":\n${mail.text}`);
  return new URL(match[0]);
}
