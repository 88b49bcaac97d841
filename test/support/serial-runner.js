/**
 * Jest's own runner, one test file at a time in Jest's process (the `temporal` project,
 * jest.config.js): Jest runs the projects of one runner after another, this one after the
 * parallel unit and integration files.
 */
const TestRunner = require('jest-runner').default;

class SerialRunner extends TestRunner {
  isSerial = true;
}

module.exports = SerialRunner;
