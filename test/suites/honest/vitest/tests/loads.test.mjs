import { createRequire } from 'node:module';
import { describe, it } from 'vitest';

const { firstRun, ran } = createRequire(import.meta.url)('../../../shared/sample-env.cjs');

// Fails to load the first time (per state dir): vitest reports one failed testcase named after the
// file, and none of its tests ran. Its unit is the file.
if (firstRun('loads.file')) throw new Error('fixture server not reachable');

describe('loads', () => {
  it('first', () => {
    ran('loads.first');
  });
});
