import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// One config for the whole repo, two projects:
// - `unit`: pure logic and in-process tests; they import @dozhim/core from source and run no binary.
// - `e2e`: everything that runs a built binary or `dist/` (the real dozhim, the real reporter, real
//   frameworks, groovy, gitlab-ci-local). Its global setup builds once first, so nothing runs stale.
// `npm test` runs both; `npm run test:unit` only the first.
const UNIT = ['core/test/**/*.test.ts', 'reporter/test/unit/**/*.test.ts', 'retry-cli/test/**/*.test.ts'];
const E2E = [
  'reporter/test/e2e/**/*.test.ts',
  'retry-cli/test/**/*.integration.test.ts',
  'test/**/*.test.ts',
  'jenkins-shared-lib/test/**/*.test.ts',
];
const exclude = ['**/node_modules/**', '**/dist/**', 'test/suites/**', 'test/jenkins/fixtures/**'];

export default defineConfig({
  resolve: {
    // The subpath first: an alias also matches what starts with its key and a slash.
    alias: {
      '@dozhim/core/wire': fileURLToPath(new URL('./core/src/wire/index.ts', import.meta.url)),
      '@dozhim/core': fileURLToPath(new URL('./core/src/index.ts', import.meta.url)),
    },
  },
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: e2e tests spawn real frameworks and servers, so keep parallelism modest.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: UNIT,
          exclude: [...exclude, 'retry-cli/test/**/*.integration.test.ts'],
        },
      },
      { extends: true, test: { name: 'e2e', include: E2E, exclude, globalSetup: ['test/global-setup.ts'] } },
    ],
  },
});
