import assert from 'node:assert/strict';
import { failRequested, firstRun, ran } from '../../shared/sample-env.cjs';

describe('arith', () => {
  it('adds two numbers', () => {
    ran('arith.add');
    assert.equal(2 + 3, 5);
  });

  it('multiplies two numbers', () => {
    ran('arith.multiply');
    assert.equal(6 * 7, 42);
  });

  it('counter settles after a retry', () => {
    ran('arith.flaky');
    assert.equal(firstRun('arith.flaky') ? 'stale' : 'settled', 'settled');
  });

  it('divides exactly', () => {
    ran('arith.broken');
    assert.equal(failRequested() ? 7 / 2 : 6 / 2, 3);
  });

  xit('rounds half to even', () => {
    ran('arith.skipped');
  });
});
