import { describe, expect, it } from 'vitest';
import { splitTestId, testId } from '../src/identity.js';
import { runState } from '../src/state.js';
import { attempt, result } from './helpers.js';

describe('testId', () => {
  it.each([
    [
      { classname: 'tests.test_api.TestLogin', name: 'test_ok[param-1]' },
      'tests.test_api.TestLogin::test_ok[param-1]',
    ],
    [{ classname: '', file: 'src/a.spec.ts', name: 'suite > case' }, 'src/a.spec.ts::suite > case'],
    [{ suite: 'pkg/api', name: 'TestA/sub_1' }, 'pkg/api::TestA/sub_1'],
    [{ name: 'lonely' }, 'lonely'],
    [{ classname: '  a.B ', name: ' x \n  y ' }, 'a.B::x y'],
  ])('%j -> %s', (parts, id) => {
    expect(testId(parts)).toBe(id);
  });

  it('ignores the file when a classname exists (pytest xunit1 and xunit2 give the same id)', () => {
    const xunit1 = testId({ classname: 'tests.test_a', name: 't', file: 'tests/test_a.py', suite: 'pytest' });
    const xunit2 = testId({ classname: 'tests.test_a', name: 't', suite: 'pytest' });
    expect(xunit1).toBe(xunit2);
  });

  it('is the same for the same test from different shards (suite names differ)', () => {
    expect(testId({ suite: 'shard-1', classname: 'c', name: 'n' })).toBe(
      testId({ suite: 'shard-2', classname: 'c', name: 'n' }),
    );
  });

  it('splitTestId inverts testId at the first separator', () => {
    expect(splitTestId('a.B::name :: with seps')).toEqual({ scope: 'a.B', name: 'name :: with seps' });
    expect(splitTestId('plain')).toEqual({ scope: '', name: 'plain' });
  });
});

describe('runState', () => {
  it('status is the latest attempt that ran the test; earlier failures make it flaky', () => {
    const s = runState([
      attempt(1, 8, { passed: ['a::1'], failed: ['a::2', 'a::3'] }),
      attempt(2, 4, { passed: ['a::2'], failed: ['a::3'] }),
    ]);
    expect(s.failing).toEqual(['a::3']);
    expect(s.flaky).toEqual(['a::2']);
    expect(s.tests.get('a::1')).toMatchObject({ status: 'passed', attempt: 1, flaky: false });
    expect(s.tests.get('a::3')?.history.map((h) => h.attempt)).toEqual([1, 2]);
  });

  it('a test failing again after passing is failing, not flaky', () => {
    const s = runState([
      attempt(1, 2, { failed: ['a::1'] }),
      attempt(2, 1, { passed: ['a::1'] }),
      attempt(3, 1, { failed: ['a::1'] }),
    ]);
    expect(s.failing).toEqual(['a::1']);
    expect(s.flaky).toEqual([]);
  });

  it('within one attempt (two shards ran the same test) a failure is never hidden by a pass', () => {
    const s = runState([{ number: 1, results: [result('a::1', 'failed'), result('a::1', 'passed')] }]);
    expect(s.failing).toEqual(['a::1']);
  });

  it.each([
    ['error', 'failed', 'error'],
    ['failed', 'passed', 'failed'],
    ['passed', 'skipped', 'passed'],
  ] as const)('within one attempt %s and %s give %s, whatever the order', (a, b, expected) => {
    const forward = runState([{ number: 1, results: [result('t::1', a), result('t::1', b)] }]);
    const backward = runState([{ number: 1, results: [result('t::1', b), result('t::1', a)] }]);
    expect(forward.tests.get('t::1')?.status).toBe(expected);
    expect(backward.tests.get('t::1')?.status).toBe(expected);
  });

  it('a test skipped on a rerun after failing is flaky, never plainly green', () => {
    const s = runState([attempt(1, 2, { failed: ['a::1'] }), attempt(2, 1, { skipped: ['a::1'] })]);
    expect(s.failing).toEqual([]);
    expect(s.flaky).toEqual(['a::1']);
  });

  it('retry evidence inside one report marks a passing test flaky', () => {
    const s = runState([
      { number: 1, results: [result('a::1', 'passed', { retries: [{ kind: 'flakyError' }] })] },
    ]);
    expect(s.flaky).toEqual(['a::1']);
  });
});
