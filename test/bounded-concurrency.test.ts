import assert from 'node:assert/strict';
import { boundedConcurrency, OverloadedError } from '../src/util/bounded-concurrency.js';

/** A task that runs until the test lets it finish. */
function heldTask() {
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => (finish = resolve));
  let started = false;
  return {
    task: async () => {
      started = true;
      await done;
      return 'done';
    },
    finish: () => finish(),
    get started() {
      return started;
    },
  };
}

describe('bounded concurrency (the argon2 queue)', () => {
  it('runs at most `concurrency` tasks at once; the next waits and starts when one ends', async () => {
    const run = boundedConcurrency('checks', 2, 5);
    const [a, b, c] = [heldTask(), heldTask(), heldTask()];
    const results = [run(a.task), run(b.task), run(c.task)];
    await Promise.resolve();
    assert.deepEqual([a.started, b.started, c.started], [true, true, false]);
    a.finish();
    await results[0];
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(c.started, true, 'the waiting task started when a place came free');
    b.finish();
    c.finish();
    assert.deepEqual(await Promise.all(results), ['done', 'done', 'done']);
  });

  it('refuses at once, with SERVER_BUSY and a Retry-After, when the queue is full', async () => {
    const run = boundedConcurrency('password checks', 1, 1);
    const [running, queued] = [heldTask(), heldTask()];
    const first = run(running.task);
    const second = run(queued.task);
    await assert.rejects(
      run(async () => 'never'),
      (error: unknown) => error instanceof OverloadedError && error.code === 'SERVER_BUSY' && error.status === 503 && error.retryAfterSeconds >= 1,
    );
    running.finish();
    queued.finish();
    assert.deepEqual(await Promise.all([first, second]), ['done', 'done']);
  });

  it('says before a call whether it would be refused (assertRoom), so a request can be turned away before other work', async () => {
    const run = boundedConcurrency('password checks', 1, 1);
    const [running, queued] = [heldTask(), heldTask()];
    const first = run(running.task);
    run.assertRoom(); // one running, none waiting: a call now would wait, not be refused
    const second = run(queued.task);
    assert.throws(
      () => run.assertRoom(),
      (error: unknown) => error instanceof OverloadedError && error.status === 503,
    );
    running.finish();
    await first;
    run.assertRoom();
    queued.finish();
    await second;
  });

  it('frees its place when a task fails, so a failure never shrinks the bound', async () => {
    const run = boundedConcurrency('checks', 1, 0);
    await assert.rejects(
      run(async () => Promise.reject(new Error('boom'))),
      /boom/,
    );
    assert.equal(await run(async () => 'next'), 'next');
  });
});
