import Mocha from 'mocha';

/** mocha's spec reporter, ending with the plain summary line "N passed, M failed" that CI shows last. */
export default class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const { passes, failures } = runner.stats ?? { passes: 0, failures: 0 };
      // after the spec reporter's own epilogue
      process.nextTick(() => process.stdout.write(`\n${passes} passed, ${failures} failed\n`));
    });
  }
}
