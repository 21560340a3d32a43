const { firstRun, ran } = require('../../../shared/sample-env.cjs');

// A file that fails to load the first time (per state dir): jest reports "Test suite failed to run"
// and none of its tests ran. Its unit is the file.
if (firstRun('loads.file')) throw new Error('fixture server not reachable');

describe('loads', () => {
  test('first', () => {
    ran('loads.first');
  });
  test('second', () => {
    ran('loads.second');
  });
});
