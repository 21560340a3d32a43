import { defineConfig } from '@playwright/test';

// Own config: no browser is needed. Two projects run the same files, so one test exists once per project.
export default defineConfig({
  testDir: './tests',
  retries: 0,
  projects: [{ name: 'alpha' }, { name: 'beta' }],
});
