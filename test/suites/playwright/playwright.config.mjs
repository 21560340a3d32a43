import { defineConfig } from '@playwright/test';

// Own config: tests live in ./tests and need no browser. Retries stay 0 so a rerun is dozhim's decision;
// reporter and artifact folder are chosen on the command line (`--reporter=junit --output <dir>`).
export default defineConfig({
  testDir: './tests',
  retries: 0,
});
