import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// Own config (and root) so the repo's root vitest.config.ts is never used.
export default defineConfig({
  root: import.meta.dirname,
  cacheDir: join(tmpdir(), 'dozhim-sample-vitest-cache'),
  test: {
    include: ['tests/**/*.test.mjs'],
  },
});
