import assert from 'node:assert/strict';
import { ran } from '../../../shared/sample-env.cjs';

// With SAMPLE_RENAMING=1, a failing test whose title changes on every attempt (it carries the attempt
// number): a rerun's selection then matches no test at all.
if (process.env.SAMPLE_RENAMING === '1') {
  describe('renaming', () => {
    it(`fails on attempt ${process.env.DOZHIM_ATTEMPT}`, () => {
      ran('renaming');
      assert.fail('always fails');
    });
  });
}
