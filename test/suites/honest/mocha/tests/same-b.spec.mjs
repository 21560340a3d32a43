import { ran } from '../../../shared/sample-env.cjs';

// Same full title as in same-a.spec.mjs; this one always passes.
describe('same', () => {
  it('has one title', () => {
    ran('same-b');
  });
});
