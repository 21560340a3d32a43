import type { Attempt, TestResult, TestStatus } from './model.js';

/** Where one test stands after all attempts so far. */
export interface TestState {
  id: string;
  /** Status in the latest attempt that ran the test. */
  status: TestStatus;
  /** The result from that latest attempt. */
  latest: TestResult;
  /** Attempt number of `latest`. */
  attempt: number;
  /** Every attempt's result for this test, oldest first. */
  history: { attempt: number; result: TestResult }[];
  /** Passed now, but failed earlier (in an earlier attempt, or as retry evidence inside one report). */
  flaky: boolean;
}

export interface RunState {
  tests: Map<string, TestState>;
  /** Ids whose current status is failed or error, sorted. */
  failing: string[];
  /** Ids that passed only after failing, sorted. */
  flaky: string[];
}

export const isFailure = (s: TestStatus): boolean => s === 'failed' || s === 'error';

const FAILED_EVIDENCE = new Set(['flakyFailure', 'flakyError', 'rerunFailure', 'rerunError']);
const hasFailedEvidence = (r: TestResult): boolean => r.retries.some((e) => FAILED_EVIDENCE.has(e.kind));

/**
 * Folds attempts (any order; sorted by number here) into the current state of every test.
 * If one attempt holds the same id twice (e.g. two shards ran it), a failure wins over a pass so a
 * problem is never hidden, and the earlier failure counts as flaky evidence if the other passed.
 */
export function runState(attempts: readonly Attempt[]): RunState {
  const tests = new Map<string, TestState>();
  const sorted = [...attempts].sort((a, b) => a.number - b.number);
  for (const attempt of sorted) {
    for (const result of attempt.results) {
      const prev = tests.get(result.id);
      const sameAttempt = prev?.attempt === attempt.number;
      // Evidence in earlier results counts too (a shard or attempt that passed only after an in-run retry).
      const everFailed =
        (prev?.history.some((h) => isFailure(h.result.status) || hasFailedEvidence(h.result)) ?? false) ||
        hasFailedEvidence(result);
      if (!prev) {
        tests.set(result.id, {
          id: result.id,
          status: result.status,
          latest: result,
          attempt: attempt.number,
          history: [{ attempt: attempt.number, result }],
          flaky: result.status === 'passed' && everFailed,
        });
        continue;
      }
      prev.history.push({ attempt: attempt.number, result });
      // Within one attempt a failure is kept over a pass; across attempts the latest wins.
      const keepPrev = sameAttempt && isFailure(prev.status) && !isFailure(result.status);
      if (!keepPrev) {
        prev.status = result.status;
        prev.latest = result;
        prev.attempt = attempt.number;
      }
      prev.flaky =
        prev.status === 'passed' && (everFailed || prev.history.some((h) => isFailure(h.result.status)));
    }
  }
  const failing: string[] = [];
  const flaky: string[] = [];
  for (const t of tests.values()) {
    if (isFailure(t.status)) failing.push(t.id);
    else if (t.flaky) flaky.push(t.id);
  }
  return { tests, failing: failing.sort(), flaky: flaky.sort() };
}
