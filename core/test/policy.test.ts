import { describe, expect, it } from 'vitest';
import {
  attemptReported,
  DEFAULT_POLICY,
  type Decision,
  decide,
  halveThreads,
  type PolicyOptions,
  parseMaxFailed,
  parseThreadsSchedule,
  threadsForAttempt,
} from '../src/policy.js';
import { attempt, ids, result } from './helpers.js';

const pass = ids('suite.ok', 100);

describe('decide: the reason for every stop, and its boundaries', () => {
  type Row = {
    name: string;
    attempts: Parameters<typeof decide>[0];
    options?: Partial<PolicyOptions>;
    expect: Partial<Decision>;
  };
  const rows: Row[] = [
    {
      name: '0 failures finishes after the first attempt',
      attempts: [attempt(1, 8, { passed: pass })],
      expect: {
        action: 'finish',
        reason: 'all-passed',
        line: 'FINISHED',
        outcome: 'passed',
        testsToRerun: [],
      },
    },
    {
      name: 'default maxFailed: 40 failures still retry',
      attempts: [attempt(1, 8, { passed: pass, failed: ids('f', 40) })],
      expect: { action: 'retry', reason: 'retry', nextThreads: 4, nextAttempt: 2, failedInAttempt: 40 },
    },
    {
      name: 'default maxFailed: 41 failures terminate',
      attempts: [attempt(1, 8, { passed: pass, failed: ids('f', 41) })],
      expect: {
        action: 'terminate',
        reason: 'too-many-failed',
        line: 'TERMINATED - too many failed tests: 41 > 40',
      },
    },
    {
      name: 'errors count as failures for the threshold',
      attempts: [attempt(1, 8, { passed: pass, failed: ids('f', 20), error: ids('e', 21) })],
      expect: { action: 'terminate', reason: 'too-many-failed' },
    },
    {
      name: '10% of 110 tests = 11: 11 failures retry',
      attempts: [attempt(1, 8, { passed: pass.slice(0, 99), failed: ids('f', 11) })],
      options: { maxFailed: parseMaxFailed('10%') },
      expect: { action: 'retry', maxFailedLimit: 11 },
    },
    {
      name: '10% of 110 tests = 11: 12 failures terminate',
      attempts: [attempt(1, 8, { passed: pass.slice(0, 98), failed: ids('f', 12) })],
      options: { maxFailed: parseMaxFailed('10%') },
      expect: {
        action: 'terminate',
        reason: 'too-many-failed',
        line: 'TERMINATED - too many failed tests: 12 > 10% (11)',
      },
    },
    {
      name: 'the percent is of the FIRST attempt, also checked after a rerun',
      attempts: [
        attempt(1, 8, { passed: pass.slice(0, 90), failed: ids('f', 10) }),
        attempt(2, 4, { passed: ids('f', 1), failed: ids('f', 9, 2) }),
      ],
      options: { maxFailed: parseMaxFailed('5%') },
      expect: {
        action: 'terminate',
        reason: 'too-many-failed',
        line: 'TERMINATED - too many failed tests: 9 > 5% (5)',
      },
    },
    {
      name: 'no progress: the same set fails again',
      attempts: [
        attempt(1, 8, { passed: pass, failed: ids('f', 5) }),
        attempt(2, 4, { failed: ids('f', 5) }),
      ],
      expect: { action: 'terminate', reason: 'no-progress', line: 'TERMINATED - no test passed after retry' },
    },
    {
      name: 'no progress: failures grow 5 -> 7 (the 5 still fail, 2 new)',
      attempts: [
        attempt(1, 8, { passed: pass, failed: ids('f', 5) }),
        attempt(2, 4, { failed: [...ids('f', 5), 'suite.ok::1', 'suite.ok::2'] }),
      ],
      expect: { action: 'terminate', reason: 'no-progress' },
    },
    {
      name: 'progress with equal counts but different sets: 5 failed -> a different 5 failed continues',
      attempts: [
        attempt(1, 8, { passed: pass, failed: ids('f', 5) }),
        attempt(2, 4, { passed: ids('f', 5), failed: ids('suite.ok', 5) }),
      ],
      options: { maxRuns: 4 },
      expect: { action: 'retry', testsToRerun: ids('suite.ok', 5).sort(), nextThreads: 2 },
    },
    {
      name: 'stopOnNoProgress off keeps retrying the same failures',
      attempts: [
        attempt(1, 8, { passed: pass, failed: ids('f', 5) }),
        attempt(2, 4, { failed: ids('f', 5) }),
      ],
      options: { stopOnNoProgress: false },
      expect: { action: 'retry', nextAttempt: 3, nextThreads: 2 },
    },
    {
      name: 'max runs reached with tests still failing',
      attempts: [
        attempt(1, 8, { passed: pass, failed: ids('f', 5) }),
        attempt(2, 4, { passed: ids('f', 2), failed: ids('f', 3, 3) }),
        attempt(3, 2, { passed: ids('f', 1, 3), failed: ids('f', 2, 4) }),
      ],
      expect: {
        action: 'finish',
        reason: 'max-runs',
        line: 'FINISHED - max runs reached, 2 tests still failing',
        outcome: 'failed',
        failing: ['f::4', 'f::5'],
        flaky: ['f::1', 'f::2', 'f::3'],
      },
    },
    {
      name: 'flaky only: passes after a rerun',
      attempts: [
        attempt(1, 8, { passed: pass, failed: ids('f', 3) }),
        attempt(2, 4, { passed: ids('f', 3) }),
      ],
      expect: {
        action: 'finish',
        reason: 'all-passed',
        outcome: 'flaky',
        line: 'FINISHED - 3 flaky tests passed on rerun',
        flaky: ids('f', 3),
        failing: [],
      },
    },
    {
      name: 'quarantined failures are reported but neither fail the run nor get retried',
      attempts: [attempt(1, 8, { passed: pass, failed: ['q::1', 'q::2'] })],
      options: { quarantine: new Set(['q::1', 'q::2']) },
      expect: {
        action: 'finish',
        reason: 'all-passed',
        outcome: 'passed',
        quarantined: ['q::1', 'q::2'],
        failing: [],
      },
    },
    {
      name: 'quarantine only removes quarantined failures: others are retried',
      attempts: [attempt(1, 8, { passed: pass, failed: ['q::1', 'f::1'] })],
      options: { quarantine: new Set(['q::1']) },
      expect: { action: 'retry', testsToRerun: ['f::1'], quarantined: ['q::1'], failing: ['f::1'] },
    },
    {
      name: 'quarantined failures do not count toward maxFailed',
      attempts: [attempt(1, 8, { passed: pass, failed: ids('q', 41) })],
      options: { quarantine: new Set(ids('q', 41)) },
      expect: { action: 'finish', reason: 'all-passed', failedInAttempt: 0 },
    },
    {
      name: 'retryOn: only matching failures are retried, the others are reported as not retried',
      attempts: [attempt(1, 8, { passed: pass, failed: ['a::assert'], error: ['n::net'] })],
      options: { retryOn: [/ConnectionError|503/] },
      expect: {
        action: 'retry',
        testsToRerun: ['n::net'],
        notRetried: ['a::assert'],
        failing: ['a::assert', 'n::net'],
      },
    },
    {
      name: 'retryOn matching nothing: finish failed without a pointless rerun',
      attempts: [attempt(1, 8, { passed: pass, failed: ['a::assert'] })],
      options: { retryOn: [/Timeout/] },
      expect: { action: 'finish', reason: 'nothing-retryable', outcome: 'failed', notRetried: ['a::assert'] },
    },
    {
      name: 'skipped tests are neither failures nor flaky',
      attempts: [attempt(1, 8, { passed: pass, skipped: ids('s', 3) })],
      expect: { action: 'finish', reason: 'all-passed', outcome: 'passed', flaky: [] },
    },
    {
      name: 'explicit schedule 8,4,2 picks the next entry',
      attempts: [attempt(1, 8, { passed: pass, failed: ids('f', 3) })],
      options: { schedule: parseThreadsSchedule('8,3,2'), threads: 8 },
      expect: { action: 'retry', nextThreads: 3 },
    },
  ];

  it.each(rows)('$name', (row) => {
    expect(decide(row.attempts, row.options)).toMatchObject(row.expect);
  });

  it('maxRuns 1 never retries', () => {
    const d = decide([attempt(1, 8, { passed: pass, failed: ids('f', 1) })], { maxRuns: 1 });
    expect(d).toMatchObject({ action: 'finish', reason: 'max-runs', outcome: 'failed' });
  });

  it('a failure from a retry-evidence-only report is not failing when the final status passed', () => {
    const r = result('x::flaky', 'passed', { retries: [{ kind: 'flakyFailure', message: 'boom' }] });
    const d = decide([{ number: 1, threads: 2, results: [r] }]);
    expect(d).toMatchObject({ action: 'finish', outcome: 'flaky', flaky: ['x::flaky'] });
  });

  it('attempt order in the input does not matter', () => {
    const a1 = attempt(1, 8, { passed: pass, failed: ids('f', 3) });
    const a2 = attempt(2, 4, { passed: ids('f', 3) });
    expect(decide([a2, a1])).toEqual(decide([a1, a2]));
  });

  it('no progress is judged on the folded state: a rerun holding a test twice counts its failure', () => {
    const first = attempt(1, 8, { passed: pass, failed: ['t::1', 'u::1'] });
    const rows = [result('t::1', 'failed'), result('t::1', 'passed'), result('u::1', 'failed')];
    const forward = decide([first, { number: 2, threads: 4, results: rows }]);
    const backward = decide([first, { number: 2, threads: 4, results: [...rows].reverse() }]);
    expect(forward).toMatchObject({ action: 'terminate', reason: 'no-progress', failing: ['t::1', 'u::1'] });
    expect(backward).toEqual(forward);
  });

  it('a test failing then skipped makes the outcome flaky, not passed', () => {
    const d = decide([
      attempt(1, 8, { passed: pass, failed: ['f::1'] }),
      attempt(2, 4, { skipped: ['f::1'] }),
    ]);
    expect(d).toMatchObject({ action: 'finish', reason: 'all-passed', outcome: 'flaky', flaky: ['f::1'] });
  });

  // Kills the mutation "a failing test that comes back skipped counts as progress" (`passedNow`
  // testing `!isFailure(status)` instead of `status === 'passed'`): a skip is not a pass.
  it('a failing test that comes back skipped is no progress; one that passes is', () => {
    const first = attempt(1, 8, { passed: pass, failed: ['f::1', 'f::2'] });
    const skipped = decide([first, attempt(2, 4, { skipped: ['f::1'], failed: ['f::2'] })]);
    expect(skipped).toMatchObject({ action: 'terminate', reason: 'no-progress', failing: ['f::2'] });
    // The input that would fool the check the other way: a real pass is progress.
    const passed = decide([first, attempt(2, 4, { passed: ['f::1'], failed: ['f::2'] })]);
    expect(passed).toMatchObject({ action: 'retry', testsToRerun: ['f::2'], flaky: ['f::1'] });
  });

  it('rejects an empty attempt list', () => {
    expect(() => decide([])).toThrow(RangeError);
  });
});

describe('threads schedule', () => {
  it('halves 8 -> 4 -> 2 -> 1 -> 1 with the default floor', () => {
    const o = { ...DEFAULT_POLICY, threads: 8 };
    expect([1, 2, 3, 4, 5].map((n) => threadsForAttempt(n, o))).toEqual([8, 4, 2, 1, 1]);
  });

  it('halving respects minThreads', () => {
    const o = { ...DEFAULT_POLICY, threads: 16, minThreads: 3 };
    expect([1, 2, 3, 4].map((n) => threadsForAttempt(n, o))).toEqual([16, 8, 4, 3]);
  });

  it('decide halves from the threads the latest attempt really used, down to the floor', () => {
    let threads = 8;
    const seen: number[] = [threads];
    const attempts = [attempt(1, threads, { passed: pass, failed: ids('f', 5) })];
    for (let n = 2; n <= 5; n++) {
      const d = decide(attempts, { maxRuns: 10, stopOnNoProgress: false });
      expect(d.action).toBe('retry');
      threads = d.nextThreads!;
      seen.push(threads);
      attempts.push(attempt(n, threads, { failed: ids('f', 5) }));
    }
    expect(seen).toEqual([8, 4, 2, 1, 1]);
  });

  // Kills the mutation "ceil instead of floor when halving odd thread counts" (7 → 4 → 2).
  it('halves odd thread counts down: 7 -> 3 -> 1, in the schedule and in decide', () => {
    const o = { ...DEFAULT_POLICY, threads: 7 };
    expect([1, 2, 3, 4].map((n) => threadsForAttempt(n, o))).toEqual([7, 3, 1, 1]);
    expect([7, 5, 3, 2, 1].map((t) => halveThreads(t, 1))).toEqual([3, 2, 1, 1, 1]);
    expect(halveThreads(7, 2)).toBe(3);
    expect(halveThreads(3, 2)).toBe(2);
    const attempts = [attempt(1, 7, { passed: pass, failed: ids('f', 5) })];
    const seen = [7];
    for (let n = 2; n <= 4; n++) {
      const d = decide(attempts, { maxRuns: 10, stopOnNoProgress: false });
      seen.push(d.nextThreads!);
      attempts.push(attempt(n, d.nextThreads!, { failed: ids('f', 5) }));
    }
    expect(seen).toEqual([7, 3, 1, 1]);
  });

  it('an explicit list is used in order and its last entry repeats', () => {
    const o = { ...DEFAULT_POLICY, schedule: parseThreadsSchedule('8,4,2') };
    expect([1, 2, 3, 4].map((n) => threadsForAttempt(n, o))).toEqual([8, 4, 2, 2]);
  });
});

describe('attemptReported: the one rule for whether an attempt counts', () => {
  it.each([
    [{ shards: 0, results: 0 }, false], // announced (PATCH) only: crashed, interrupted, still running
    [{ shards: 1, results: 0 }, true], // an empty report: it ran and reported nothing
    [{ shards: 2, results: 10 }, true],
    [{ shards: 0, results: 3 }, true], // a reporter that does not list shards
  ])('%j -> %s', (a, expected) => {
    expect(attemptReported(a)).toBe(expected);
  });
});

describe('option parsers', () => {
  it.each([
    ['40', { kind: 'count', value: 40 }],
    [40, { kind: 'count', value: 40 }],
    ['10%', { kind: 'percent', value: 10 }],
    [' 2.5% ', { kind: 'percent', value: 2.5 }],
  ])('parseMaxFailed(%j)', (input, expected) => {
    expect(parseMaxFailed(input)).toEqual(expected);
  });

  it.each(['', 'abc', '-1', '10%%', '101%', '1.5'])('parseMaxFailed rejects %j', (input) => {
    expect(() => parseMaxFailed(input)).toThrow(RangeError);
  });

  it.each(['8,4,2', ' 4 , 2 '])('parseThreadsSchedule accepts %j', (input) => {
    expect(parseThreadsSchedule(input).kind).toBe('list');
  });

  it.each(['', '8,,2', '8,0', 'half', '8,-2', '2.5'])('parseThreadsSchedule rejects %j', (input) => {
    expect(() => parseThreadsSchedule(input)).toThrow(RangeError);
  });
});
