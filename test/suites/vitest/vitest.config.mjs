import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// Own config (and root) so the repo's root vitest.config.ts, which excludes test/suites, is never used.
export default defineConfig({
  root: import.meta.dirname,
  // Vite's cache would otherwise create node_modules/ inside this sample folder.
  cacheDir: join(tmpdir(), 'dozhim-sample-vitest-cache'),
  test: {
    include: ['tests/**/*.test.mjs'],
  },
});
