import net from 'node:net';

/**
 * A TCP proxy in front of Postgres that counts round trips on the wire: every statement a client sends
 * ends with either a simple Query message ('Q') or, in the extended protocol, a Sync ('S'), after which
 * the client waits for ReadyForQuery. Counting those frontend messages is counting round trips, whatever
 * library sent them. Point DATABASE_URL at 127.0.0.1:<port> to count a server's.
 */
export class PgWireCounter {
  readonly #target: { host: string; port: number };
  #server?: net.Server;
  readonly #sockets = new Set<net.Socket>();
  port = 0;
  /** Round trips (Query + Sync messages) since the last reset. */
  roundTrips = 0;
  connections = 0;

  constructor(target: { host: string; port: number }) {
    this.#target = target;
  }

  async start(): Promise<number> {
    this.#server = net.createServer((client) => {
      this.connections++;
      const upstream = net.connect(this.#target);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      const parser = frontendParser((type) => {
        if (type === 0x51 /* Q */ || type === 0x53 /* S */) this.roundTrips++;
      });
      client.on('data', (chunk: Buffer) => {
        parser(chunk);
        upstream.write(chunk);
      });
      client.on('end', () => upstream.end());
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as net.AddressInfo).port;
    return this.port;
  }

  reset(): void {
    this.roundTrips = 0;
  }

  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

/**
 * Splits the frontend byte stream into messages: first untyped ones (length, code: SSLRequest,
 * GSSENCRequest, then the StartupMessage), then typed ones (type byte, length including itself, body).
 */
function frontendParser(onMessage: (type: number) => void): (chunk: Buffer) => void {
  let buffer: Buffer = Buffer.alloc(0);
  let started = false;
  return (chunk) => {
    buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
    for (;;) {
      if (!started) {
        if (buffer.length < 8) return;
        const length = buffer.readInt32BE(0);
        if (buffer.length < length) return;
        const code = buffer.readInt32BE(4);
        if (code !== SSL_REQUEST && code !== GSSENC_REQUEST) started = true;
        buffer = buffer.subarray(length);
        continue;
      }
      if (buffer.length < 5) return;
      const length = buffer.readInt32BE(1);
      if (buffer.length < 1 + length) return;
      onMessage(buffer[0]!);
      buffer = buffer.subarray(1 + length);
    }
  };
}
