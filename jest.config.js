/** Jest: every test under test/, TypeScript through SWC (no type-check here: `tsc` runs in npm test). */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j)sx?$': [
      '@swc/jest',
      { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
    ],
  },
  // any-ascii ships only ES modules: let SWC turn it into CommonJS like our own code.
  transformIgnorePatterns: ['/node_modules/(?!any-ascii/)'],
  moduleFileExtensions: ['ts', 'js', 'json', 'mjs'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  setupFiles: ['<rootDir>/test/support/setup-file.ts'],
  testTimeout: 120000,
  maxWorkers: 2,
};
