/**
 * Jest's own runner, one test file at a time in Jest's process (the `temporal` project,
 * jest.config.js): Jest runs the files of one runner, then those of the next, so these never run
 * beside the parallel unit and integration files.
 */
const TestRunner = require('jest-runner').default;

class SerialRunner extends TestRunner {
  isSerial = true;
}

module.exports = SerialRunner;
