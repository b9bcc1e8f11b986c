/** Two projects: pure unit tests, and integration tests against a real kube-apiserver + etcd. */
const common = {
  transform: { '\\.ts$': '<rootDir>/test/strip-types-transform.cjs' },
  extensionsToTreatAsEsm: ['.ts'],
  testEnvironment: 'node',
};
export default {
  reporters: ['default', '<rootDir>/test/summary-reporter.cjs'],
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts', '<rootDir>/src/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/integration/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/integration/support/global-teardown.ts',
    },
  ],
};
