import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const { failRequested, ran } = createRequire(import.meta.url)('../../../shared/sample-env.cjs');

// The same title twice in one file: vitest reports two testcases with one id. The first fails on
// request (SAMPLE_FAIL=1), the second passes: the test must not read as passed.
describe('twice', () => {
  it('same title', () => {
    ran('twice.first');
    expect(failRequested() ? 'broken' : 'ok').toBe('ok');
  });
  it('same title', () => {
    ran('twice.second');
  });
});
