// decide() folds the attempts once (the progress check reads each test's history instead of folding
// every attempt but the latest again), and takes a fold the caller already has. Both must give
// exactly the decision of the two-fold definition, on random runs that include the inputs that would
// fool a history-based shortcut: attempts out of order, two attempts with one number, a test held
// twice by one attempt, tests that only appear late.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Attempt, TestStatus } from '../src/model.js';
import { type Decision, decide, type PolicyOptions } from '../src/policy.js';
import { runState, statusBefore } from '../src/state.js';
import { result } from './helpers.js';

const STATUSES: readonly TestStatus[] = ['passed', 'failed', 'error', 'skipped'];
const IDS = ['c::a', 'c::b', 'c::c', 'c::d'] as const;

/** The definition decide() had before the one-fold change: progress judged on a second fold. */
function progressByTwoFolds(attempts: readonly Attempt[]): boolean {
  const sorted = [...attempts].sort((a, b) => a.number - b.number);
  const latest = sorted[sorted.length - 1]!;
  const state = runState(sorted);
  const before = runState(sorted.slice(0, -1));
  return before.failing.some((id) => {
    const t = state.tests.get(id);
    return t?.attempt === latest.number && t.status === 'passed';
  });
}

const attemptArb = (numbers: fc.Arbitrary<number>): fc.Arbitrary<Attempt> =>
  fc.record({
    number: numbers,
    threads: fc.constantFrom(1, 2, 8),
    results: fc
      .array(fc.record({ id: fc.constantFrom(...IDS), status: fc.constantFrom(...STATUSES) }), {
        maxLength: 6,
      })
      .map((rs) => rs.map((r) => result(r.id, r.status, r.status === 'failed' ? { message: 'boom' } : {}))),
  });

const runArb = fc.array(attemptArb(fc.integer({ min: 1, max: 4 })), { minLength: 1, maxLength: 5 });

const optionsArb: fc.Arbitrary<Partial<PolicyOptions>> = fc.record({
  maxRuns: fc.integer({ min: 1, max: 5 }),
  stopOnNoProgress: fc.boolean(),
  maxFailed: fc.constantFrom({ kind: 'count', value: 2 } as const, { kind: 'count', value: 40 } as const),
});

const withoutState = (d: Decision) => JSON.parse(JSON.stringify(d));

describe('decide: one fold per decision', () => {
  it('gives the two-fold decision on random runs, and the same with a fold passed in', () => {
    fc.assert(
      fc.property(runArb, optionsArb, (attempts, options) => {
        const d = decide(attempts, options);
        expect(withoutState(decide(attempts, options, runState(attempts)))).toEqual(withoutState(d));
        const sorted = [...attempts].sort((a, b) => a.number - b.number);
        const failingNow = runState(attempts).failing.some((id) => !options.quarantine?.has(id));
        // Where the progress rule decides, it decides as the two-fold definition does.
        if (d.reason === 'no-progress') expect(progressByTwoFolds(attempts)).toBe(false);
        if (
          failingNow &&
          sorted.length > 1 &&
          options.stopOnNoProgress &&
          d.failedInAttempt <= d.maxFailedLimit
        ) {
          expect(d.reason === 'no-progress').toBe(!progressByTwoFolds(attempts));
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('a rerun where a failing test passed is progress; one where it only stayed failing is not', () => {
    const a1: Attempt = { number: 1, results: [result('c::a', 'failed'), result('c::b', 'failed')] };
    const passed: Attempt = { number: 2, results: [result('c::a', 'passed'), result('c::b', 'failed')] };
    const stillFailing: Attempt = {
      number: 2,
      results: [result('c::a', 'failed'), result('c::b', 'failed')],
    };
    expect(decide([a1, passed]).reason).toBe('retry');
    expect(decide([a1, stillFailing]).reason).toBe('no-progress');
    // Out of order in, the same answer.
    expect(decide([passed, a1]).reason).toBe('retry');
  });

  it('a test passing now that only skipped or passed before is not progress (it was not failing)', () => {
    const a1: Attempt = { number: 1, results: [result('c::a', 'skipped'), result('c::b', 'failed')] };
    const a2: Attempt = { number: 2, results: [result('c::a', 'passed'), result('c::b', 'failed')] };
    expect(decide([a1, a2]).reason).toBe('no-progress');
  });

  it('statusBefore: the latest earlier attempt, the more severe result within it', () => {
    const state = runState([
      { number: 1, results: [result('c::a', 'failed')] },
      { number: 2, results: [result('c::a', 'passed'), result('c::a', 'error')] },
      { number: 3, results: [result('c::a', 'passed')] },
    ]);
    const t = state.tests.get('c::a')!;
    expect(statusBefore(t, 1)).toBeUndefined();
    expect(statusBefore(t, 2)).toBe('failed');
    expect(statusBefore(t, 3)).toBe('error');
    expect(statusBefore(t, 4)).toBe('passed');
  });
});
