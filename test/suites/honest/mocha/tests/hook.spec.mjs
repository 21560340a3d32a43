import assert from 'node:assert/strict';
import { firstRun, ran } from '../../../shared/sample-env.cjs';

// A flaky beforeEach: it fails the first time (per state dir; always with SAMPLE_HOOK_BROKEN=1), and
// mocha then runs no test of the block: they are missing from the report.
describe('hooked', () => {
  beforeEach(() => {
    const down = process.env.SAMPLE_HOOK_BROKEN === '1' || firstRun('hooked.beforeEach');
    assert.equal(down ? 'down' : 'up', 'up');
  });

  it('reads the first row', () => {
    ran('hooked.first');
  });

  it('reads the second row', () => {
    ran('hooked.second');
  });
});

describe('plain', () => {
  it('passes', () => {
    ran('plain.passes');
  });
});
