import { describe, expect, it } from 'vitest';
import { type IdentityParts, splitTestId, testId } from '../src/identity.js';
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
    // Exact: no whitespace folding (`a b` and `a  b` are two tests).
    [{ classname: '  a.B ', name: ' x \n  y ' }, '  a.B :: x \n  y '],
    // The file joins the scope when the classname does not name it (jest-junit addFileAttribute, mocha).
    [{ classname: 'group a', file: 'src/a.test.ts', name: 'b c' }, 'src/a.test.ts > group a::b c'],
    // The suite counts as the file when it is a source path (vitest, Playwright, jest {filepath}).
    [{ suite: 'src/a.test.ts', classname: 'x', name: 'n' }, 'src/a.test.ts > x::n'],
    [{ suite: 'a.spec.ts', classname: 'a.spec.ts', name: 'n', project: 'firefox' }, '[firefox] a.spec.ts::n'],
    [{ classname: 'ns::Class', name: 'n::m' }, 'ns\u2237Class::n::m'],
  ])('%j -> %s', (parts, id) => {
    expect(testId(parts)).toBe(id);
  });

  it('leaves the file out when the classname names it (pytest xunit1 and xunit2 give the same id)', () => {
    for (const classname of ['tests.test_a', 'tests.test_a.TestX']) {
      const xunit1 = testId({ classname, name: 't', file: 'tests/test_a.py', suite: 'pytest' });
      const xunit2 = testId({ classname, name: 't', suite: 'pytest' });
      expect(xunit1).toBe(xunit2);
      expect(xunit1).toBe(`${classname}::t`);
    }
    // A classname that only looks similar does not name the file: both parts stay.
    expect(testId({ classname: 'tests.test_ab', name: 't', file: 'tests/test_a.py' })).toBe(
      'tests/test_a.py > tests.test_ab::t',
    );
  });

  it('two tests the old rule merged now differ', () => {
    const pairs: [IdentityParts, IdentityParts][] = [
      // jest-junit with JEST_JUNIT_ANCESTOR_SEPARATOR=" › ": the classname keeps the boundary.
      [
        { classname: 'group a › b c', name: 'group a › b c' },
        { classname: 'group › a b c', name: 'group › a b c' },
      ],
      // mocha: the same title in two spec files.
      [
        { classname: 't', name: 'g t', file: 'a.spec.js' },
        { classname: 't', name: 'g t', file: 'b.spec.js' },
      ],
      // jest-junit: the same classname in two files.
      [
        { classname: 'c', name: 'n', file: 'a.test.js' },
        { classname: 'c', name: 'n', file: 'b.test.js' },
      ],
      // Playwright: one test in two projects.
      [
        { classname: 'a.spec.ts', name: 'n', project: 'chromium' },
        { classname: 'a.spec.ts', name: 'n', project: 'firefox' },
      ],
      [
        { classname: 'c', name: 'a b' },
        { classname: 'c', name: 'a  b' },
      ],
    ];
    for (const [a, b] of pairs) expect(testId(a)).not.toBe(testId(b));
  });

  it('is the same for the same test from different shards (suite names differ)', () => {
    expect(testId({ suite: 'shard-1', classname: 'c', name: 'n' })).toBe(
      testId({ suite: 'shard-2', classname: 'c', name: 'n' }),
    );
  });

  it('splitTestId inverts testId at the first separator', () => {
    expect(splitTestId('a.B::name :: with seps')).toEqual({ scope: 'a.B', name: 'name :: with seps' });
    expect(splitTestId('plain')).toEqual({ scope: '', name: 'plain' });
    const id = testId({ classname: 'crate::m', file: 'src/lib.rs', name: 'x::y', project: 'p' });
    expect(splitTestId(id)).toEqual({ scope: '[p] src/lib.rs > crate\u2237m', name: 'x::y' });
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
