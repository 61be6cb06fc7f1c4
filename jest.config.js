'use strict';
// Tests run from TypeScript sources through swc; worker processes they start run the tsc output in
// dist/, which `npm test` builds first.
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  testTimeout: 120000,
  maxWorkers: 2,
};
