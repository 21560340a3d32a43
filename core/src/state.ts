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

/** Folds attempts (any order; sorted by number here) into the current state of every test. */
export function runState(attempts: readonly Attempt[]): RunState {
  const tests = new Map<string, TestState>();
  const sorted = [...attempts].sort((a, b) => a.number - b.number);
  for (const attempt of sorted) {
    for (const result of attempt.results) {
      const prev = tests.get(result.id);
      if (!prev) {
        const t = { id: result.id, status: result.status, latest: result, attempt: attempt.number };
        tests.set(result.id, { ...t, history: [{ attempt: attempt.number, result }], flaky: false });
        continue;
      }
      prev.history.push({ attempt: attempt.number, result });
      // Across attempts the latest wins; within one attempt the more severe result.
      if (prev.attempt !== attempt.number || STATUS_SEVERITY[result.status] > STATUS_SEVERITY[prev.status]) {
        prev.status = result.status;
        prev.latest = result;
        prev.attempt = attempt.number;
      }
    }
  }
  const failing: string[] = [];
  const flaky: string[] = [];
  for (const t of tests.values()) {
    // Every retry evidence kind records a failed try, so any evidence (or failed result) counts.
    t.flaky = !isFailure(t.status) && t.history.some((h) => failedOnce(h.result));
    if (isFailure(t.status)) failing.push(t.id);
    else if (t.flaky) flaky.push(t.id);
  }
  return { tests, failing: failing.sort(), flaky: flaky.sort() };
}
