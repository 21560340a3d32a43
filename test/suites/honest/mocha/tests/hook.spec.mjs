import assert from 'node:assert/strict';
import { firstRun, ran } from '../../../shared/sample-env.cjs';

// A flaky beforeEach: it fails the first time (per state dir), so mocha skips every test of the block.
describe('hooked', () => {
  beforeEach(() => {
    assert.equal(firstRun('hooked.beforeEach') ? 'down' : 'up', 'up');
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
