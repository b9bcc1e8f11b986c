// Jest reporter: after the run, prints one plain line to stdout for CI, which looks for 'N passed, N failed'
// alone on a line (Jest's own "Tests: 31 passed, 31 total" is not that):
//
//   tests: 31 passed, 0 failed
//   tests: 30 passed, 0 failed, 1 skipped        (skipped: test.skip and test.todo, when there are any)
//
// A test file that could not run at all (a syntax error, a throwing import, a failing beforeAll with no
// test to blame) counts as one failure, so such a run never reads as all passed. If Jest stops before
// running tests (e.g. globalSetup throws), no line is printed, and CI sees that nothing ran.
class SummaryReporter {
  onRunComplete(_testContexts, results) {
    const passed = results.numPassedTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    process.stdout.write(`tests: ${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}\n`);
  }
}
module.exports = SummaryReporter;
