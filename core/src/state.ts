import { isFailingStatus } from './executions.js';
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
  /**
   * Not failing now, but failed before (in an earlier attempt, or as retry evidence inside a report).
   * A test skipped on a rerun after failing counts too: the rerun did not fail it, but it never passed.
   */
  flaky: boolean;
}

export interface RunState {
  tests: Map<string, TestState>;
  /** Ids whose current status is failed or error, sorted. */
  failing: string[];
  /** Ids that stopped failing only after failing (see TestState.flaky), sorted. */
  flaky: string[];
}

export const isFailure = isFailingStatus;

/**
 * When one attempt holds a test twice (two shards ran it), the more severe result stands, so a
 * problem is never hidden and the outcome never depends on the order rows arrive in.
 */
export const STATUS_SEVERITY: Readonly<Record<TestStatus, number>> = {
  error: 3,
  failed: 2,
  passed: 1,
  skipped: 0,
};

const failedOnce = (r: TestResult): boolean => isFailure(r.status) || r.retries.length > 0;

const byNumber = (a: Attempt, b: Attempt): number => a.number - b.number;

/**
 * Folds attempts (any order; sorted by number here) into the current state of every test.
 * Linear in the results; every TestState is one object literal of one shape (an object spread per
 * test made V8 fall back to slow objects: 10k results took ~50 ms instead of ~2 ms). Callers that
 * need the state more than once per attempt fold once and pass it on (decide, writeMergedJUnit).
 */
export function runState(attempts: readonly Attempt[]): RunState {
  const tests = new Map<string, TestState>();
  const sorted = [...attempts].sort(byNumber);
  for (const attempt of sorted) {
    const number = attempt.number;
    for (const result of attempt.results) {
      const prev = tests.get(result.id);
      if (prev === undefined) {
        tests.set(result.id, {
          id: result.id,
          status: result.status,
          latest: result,
          attempt: number,
          history: [{ attempt: number, result }],
          flaky: false,
        });
        continue;
      }
      prev.history.push({ attempt: number, result });
      // Across attempts the latest wins; within one attempt the more severe result.
      if (prev.attempt !== number || STATUS_SEVERITY[result.status] > STATUS_SEVERITY[prev.status]) {
        prev.status = result.status;
        prev.latest = result;
        prev.attempt = number;
      }
    }
  }
  const failing: string[] = [];
  const flaky: string[] = [];
  for (const t of tests.values()) {
    if (isFailure(t.status)) {
      failing.push(t.id);
      continue;
    }
    // Every retry evidence kind records a failed try, so any evidence (or failed result) counts.
    for (const h of t.history) {
      if (failedOnce(h.result)) {
        t.flaky = true;
        flaky.push(t.id);
        break;
      }
    }
  }
  return { tests, failing: failing.sort(), flaky: flaky.sort() };
}

/**
 * The status a test had before attempt `number` (the fold of the attempts numbered below it, as
 * runState would give it), or undefined when it had not run. Read from the test's history, so the
 * state before the latest attempt needs no second fold.
 */
export function statusBefore(test: TestState, number: number): TestStatus | undefined {
  let at = -Infinity;
  let status: TestStatus | undefined;
  for (const h of test.history) {
    if (h.attempt >= number) continue;
    const s = h.result.status;
    if (h.attempt > at || (h.attempt === at && STATUS_SEVERITY[s] > STATUS_SEVERITY[status!])) {
      at = h.attempt;
      status = s;
    }
  }
  return status;
}
