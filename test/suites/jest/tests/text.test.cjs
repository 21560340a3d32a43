const { ran, firstRun, errorRequested } = require('../../shared/sample-env.cjs');

describe('text', () => {
  test('joins words', () => {
    ran('text.join');
    expect(['a', 'b'].join('-')).toBe('a-b');
  });

  test('upper-cases ascii', () => {
    ran('text.upper');
    expect('abc'.toUpperCase()).toBe('ABC');
  });

  test('reconnects after a dropped connection', () => {
    ran('text.flaky');
    expect(firstRun('text.flaky') ? 'dropped' : 'connected').toBe('connected');
  });

  test('hostile "double" \'single\' [param-1] ünïcødé ✓ .*+?^$()|{}\\', () => {
    ran('text.hostile');
    expect(firstRun('text.hostile') ? 'dropped' : 'connected').toBe('connected');
  });

  test('parses the config', () => {
    ran('text.error');
    const config = errorRequested() ? undefined : { retries: 2 };
    // With SAMPLE_ERROR=1 this is an unexpected TypeError, not an assertion failure.
    expect(config.retries).toBe(2);
  });
});
