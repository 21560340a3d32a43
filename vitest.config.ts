import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// One config for the whole repo. Unit tests import @dozhim/core from source (no build needed);
// end-to-end tests under test/ and */test/e2e run the built binaries, so `npm test` builds first.
export default defineConfig({
  resolve: {
    alias: { '@dozhim/core': fileURLToPath(new URL('./core/src/index.ts', import.meta.url)) },
  },
  test: {
    include: [
      'core/test/**/*.test.ts',
      'reporter/test/**/*.test.ts',
      'retry-cli/test/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**', '**/dist/**', 'test/suites/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: e2e tests spawn real frameworks and servers, so keep parallelism modest.
    maxWorkers: 2,
  },
});
