import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import type { Knex } from 'knex';
import { ConfigError } from '../src/errors.js';
import { closeConnectionsWhileDraining, Draining } from '../src/http/draining.js';
import { healthRoutes } from '../src/http/health-routes.js';
import { gracefulShutdown, readShutdownSettings, SHUTDOWN_GRACE_MS, type ShutdownSettings } from '../src/runtime/graceful-shutdown.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('graceful shutdown', () => {
  describe('SHUTDOWN_DRAIN_SECONDS', () => {
    it('defaults to 5 s in production and 0 elsewhere, with the fixed grace period after it', () => {
      assert.deepEqual(readShutdownSettings({ NODE_ENV: 'production' }), { drainMs: 5_000, graceMs: SHUTDOWN_GRACE_MS });
      assert.deepEqual(readShutdownSettings({}), { drainMs: 0, graceMs: SHUTDOWN_GRACE_MS });
    });

    it('takes seconds, fractions included, and refuses anything else in one line', () => {
      assert.equal(readShutdownSettings({ SHUTDOWN_DRAIN_SECONDS: '1.5' }).drainMs, 1_500);
      assert.equal(readShutdownSettings({ NODE_ENV: 'production', SHUTDOWN_DRAIN_SECONDS: '0' }).drainMs, 0);
      for (const bad of ['-1', 'soon', '301', 'Infinity']) {
        assert.throws(
          () => readShutdownSettings({ SHUTDOWN_DRAIN_SECONDS: bad }),
          (error: Error) => error instanceof ConfigError && error.message === `SHUTDOWN_DRAIN_SECONDS=${bad}: must be a number of seconds from 0 to 300`,
        );
      }
    });
  });

  describe('on a signal', () => {
    let server: http.Server;
    let origin: string;
    let draining: Draining;
    let events: string[];
    let exited: Promise<number>;
    let stop: (signal: NodeJS.Signals) => Promise<void> | undefined;
    let releaseSlow: () => void;

    async function start(settings: ShutdownSettings) {
      draining = new Draining();
      events = [];
      const app = new Koa();
      app.use(closeConnectionsWhileDraining(draining));
      const fakeDb = { raw: async () => [] } as unknown as Knex;
      app.use(healthRoutes(fakeDb, [], draining).routes());
      const slowDone = new Promise<void>((resolve) => (releaseSlow = resolve));
      app.use(async (ctx) => {
        if (ctx.path === '/slow') await slowDone;
        if (ctx.path === '/forever') await new Promise(() => {});
        ctx.body = { path: ctx.path };
      });
      server = http.createServer(app.callback());
      server.keepAliveTimeout = 65_000;
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      let exit!: (code: number) => void;
      exited = new Promise((resolve) => (exit = resolve));
      const log = { info: (m: string) => events.push(`info: ${m}`), warn: (m: string) => events.push(`warn: ${m}`) };
      stop = gracefulShutdown({
        server,
        draining,
        settings,
        log,
        release: async () => void events.push('released'),
        exit: (code) => {
          events.push(`exit ${code}`);
          exit(code);
        },
      });
    }
    afterEach(() => {
      releaseSlow?.();
      server?.closeAllConnections();
      server?.close();
    });

    it('says 503 on /readyz at once, keeps serving with Connection: close until the drain ends, then refuses new connections, lets open requests finish and exits 0', async () => {
      await start({ drainMs: 400, graceMs: 5_000 });
      const agent = new http.Agent({ keepAlive: true });
      const before = await get(`${origin}/readyz`, agent);
      assert.equal(before.status, 200);
      assert.equal(before.headers.connection, 'keep-alive');
      const slow = get(`${origin}/slow`);
      await sleep(50);

      const stopping = stop('SIGTERM');
      const ready = await get(`${origin}/readyz`, agent);
      assert.deepEqual([ready.status, ready.body], [503, '{"status":"draining"}']);
      assert.equal(ready.headers.connection, 'close', 'keep-alive clients are sent elsewhere');
      const during = await get(`${origin}/work`);
      assert.deepEqual([during.status, during.headers.connection], [200, 'close'], 'still serving while the balancer notices');
      assert.equal(stop('SIGTERM'), undefined, 'a repeated signal starts nothing new');

      await sleep(500);
      await assert.rejects(get(`${origin}/work`), /ECONNREFUSED/, 'after the drain: no new connections');
      assert.deepEqual(events.slice(-1), ['info: SIGTERM: draining for 400 ms (/readyz answers 503), then shutting down'], 'the open request holds the exit');
      releaseSlow();
      const finished = await slow;
      assert.deepEqual([finished.status, finished.headers.connection], [200, 'close'], 'the request under way finished, its connection closed with it');
      assert.equal(await exited, 0);
      await stopping;
      assert.deepEqual(events.slice(1), ['released', 'exit 0']);
      agent.destroy();
    });

    it('cuts requests still open after the grace period and exits 0 all the same', async () => {
      await start({ drainMs: 0, graceMs: 200 });
      const forever = get(`${origin}/forever`).then(
        () => 'answered',
        (error: Error) => error.message,
      );
      await sleep(50);
      const started = Date.now();
      void stop('SIGINT');
      assert.equal(await exited, 0);
      assert.ok(Date.now() - started >= 180, 'waited for the grace period');
      assert.equal(await forever, 'socket hang up');
      assert.deepEqual(events, ['info: SIGINT: shutting down', 'warn: requests still open after the grace period; closing them', 'released', 'exit 0']);
    });

    it('skips the rest of the drain on a second signal', async () => {
      await start({ drainMs: 60_000, graceMs: 1_000 });
      void stop('SIGTERM');
      await sleep(50);
      stop('SIGINT');
      const started = Date.now();
      assert.equal(await exited, 0);
      assert.ok(Date.now() - started < 1_000);
    });
  });
});

function get(url: string, agent?: http.Agent): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}
