/**
 * Phase 2 of `npm test`: checks the HTTP exchanges the sandbox recorded during phase 1 against
 * Okta's OpenAPI spec ($OKTA_OPENAPI_DIR, else ../shared/okta-openapi). One worker, one test
 * file: the spec is parsed once per run (about 1.5 s and 250 MB).
 */
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  roots: ['<rootDir>/test/conformance'],
  testMatch: ['**/*.conformance.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: false }],
  },
  maxWorkers: 1,
  testTimeout: 120000,
};
