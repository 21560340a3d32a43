const { failRequested, ran } = require('../../../shared/sample-env.cjs');

// Two different tests whose describe and test titles join to the same words ("group a b c"): with
// jest-junit's default single-space separator they would share one id.
describe('group a', () => {
  test('b c', () => {
    ran('names.group-a.b-c');
    expect(failRequested() ? 'broken' : 'ok').toBe('ok');
  });
});

describe('group', () => {
  test('a b c', () => {
    ran('names.group.a-b-c');
  });
});

// A top-level test: its name must have no leading separator or space.
test('top level', () => {
  ran('names.top');
});
