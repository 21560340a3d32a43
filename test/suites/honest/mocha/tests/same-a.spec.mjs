import assert from 'node:assert/strict';
import { failRequested, ran } from '../../../shared/sample-env.cjs';

// Same full title as in same-b.spec.mjs: two different tests, told apart only by their file.
describe('same', () => {
  it('has one title', () => {
    ran('same-a');
    assert.equal(failRequested() ? 'broken' : 'ok', 'ok');
  });
});
