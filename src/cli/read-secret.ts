import type { CliIo } from './cli-io.js';
import { UsageError } from './command.js';

/** Reads all of standard input, without its final line break (as `echo pw | … --password-stdin` sends it). */
export async function readStdinSecret({ stdin }: Pick<CliIo, 'stdin'>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** Asks on the terminal without echoing what is typed. */
export async function promptSecret({ stdin, stderr }: Pick<CliIo, 'stdin' | 'stderr'>, question: string): Promise<string> {
  const { setRawMode } = stdin;
  if (!stdin.isTTY || !setRawMode) throw new UsageError('no password given: use --password-stdin (or --password P), or run in a terminal to be asked');
  const raw = (on: boolean) => setRawMode.call(stdin, on);
  stderr.write(question);
  raw(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let value = '';
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n' || char === '\u0004') {
          done();
          resolve(value);
          return;
        }
        if (char === '\u0003') {
          done();
          reject(new UsageError('cancelled'));
          return;
        }
        value = char === '\u007f' || char === '\b' ? value.slice(0, -1) : value + char;
      }
    };
    const done = () => {
      stdin.off('data', onData);
      raw(false);
      stdin.pause();
      stderr.write('\n');
    };
    stdin.on('data', onData);
  });
}
