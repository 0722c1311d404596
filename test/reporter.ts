import path from 'node:path';
import Mocha from 'mocha';

const TARGET_SECONDS = 300;
const { EVENT_RUN_BEGIN, EVENT_RUN_END, EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_HOOK_END } = Mocha.Runner.constants;

/**
 * mocha's spec reporter, then where the time went (test and hook time per file, slowest first; every file when
 * the run was slower than the 5-minute target), ending with the plain summary line "N passed, M failed" that
 * CI shows last.
 */
export default class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    const perFile = new Map<string, number>();
    let started = Date.now();
    const count = (runnable: Mocha.Runnable) => {
      if (!runnable.file || !runnable.duration) return;
      perFile.set(runnable.file, (perFile.get(runnable.file) ?? 0) + runnable.duration);
    };
    runner.once(EVENT_RUN_BEGIN, () => (started = Date.now()));
    runner.on(EVENT_TEST_PASS, count);
    runner.on(EVENT_TEST_FAIL, count);
    runner.on(EVENT_HOOK_END, count);
    runner.once(EVENT_RUN_END, () => {
      const { passes, failures } = runner.stats ?? { passes: 0, failures: 0 };
      const seconds = (Date.now() - started) / 1000;
      // after the spec reporter's own epilogue
      process.nextTick(() => {
        process.stdout.write(timeReport(perFile, seconds));
        process.stdout.write(`\n${passes} passed, ${failures} failed\n`);
      });
    });
  }
}

function timeReport(perFile: Map<string, number>, seconds: number): string {
  const slow = seconds > TARGET_SECONDS;
  const files = [...perFile].sort((a, b) => b[1] - a[1]).slice(0, slow ? undefined : 8);
  const heading = slow
    ? `\nThe run took ${seconds.toFixed(0)} s, over the ${TARGET_SECONDS} s target. Test and hook time per file (files run in parallel):\n`
    : `\nThe run took ${seconds.toFixed(0)} s. Slowest files (test and hook time; files run in parallel):\n`;
  const lines = files.map(([file, ms]) => `  ${(ms / 1000).toFixed(1).padStart(7)} s  ${path.relative(process.cwd(), file)}`);
  return `${heading}${lines.join('\n')}\n`;
}
