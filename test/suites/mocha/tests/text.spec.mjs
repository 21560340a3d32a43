import assert from 'node:assert/strict';
import { errorRequested, firstRun, ran } from '../../shared/sample-env.cjs';

describe('text', () => {
  it('joins words', () => {
    ran('text.join');
    assert.equal(['a', 'b'].join('-'), 'a-b');
  });

  it('upper-cases ascii', () => {
    ran('text.upper');
    assert.equal('abc'.toUpperCase(), 'ABC');
  });

  it('reconnects after a dropped connection', () => {
    ran('text.flaky');
    assert.equal(firstRun('text.flaky') ? 'dropped' : 'connected', 'connected');
  });

  it('hostile "double" \'single\' [param-1] ünïcødé ✓ .*+?^$()|{}\\', () => {
    ran('text.hostile');
    assert.equal(firstRun('text.hostile') ? 'dropped' : 'connected', 'connected');
  });

  it('parses the config', () => {
    ran('text.error');
    const config = errorRequested() ? undefined : { retries: 2 };
    // With SAMPLE_ERROR=1 this is an unexpected TypeError, not an assertion failure.
    assert.equal(config.retries, 2);
  });
});
