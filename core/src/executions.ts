/**
 * The failed executions of a test, in the order they happened, and which of them a report shows as
 * the test's own failure. Shared by the reader (folding repeated testcases) and the writer, so that
 * reading what the writer wrote gives the same results back.
 *
 * Order follows Surefire: a failing result's own failure is its first run and its retries are the
 * reruns after it; a passing or skipped result's retries (flaky*) all came before it.
 */
import type { RetryEvidence, RetryEvidenceKind, TestResult, TestStatus } from './model.js';

export const isFailingStatus = (s: TestStatus): boolean => s === 'failed' || s === 'error';
export const isErrorKind = (kind: RetryEvidenceKind): boolean => kind.endsWith('Error');

/** A failed or errored result as one execution (kind to be normalized by the caller). */
export function asExecution(r: TestResult): RetryEvidence {
  const ev: RetryEvidence = {
    kind: r.status === 'error' ? 'rerunError' : 'rerunFailure',
    durationMs: r.durationMs,
  };
  if (r.message !== undefined) ev.message = r.message;
  if (r.type !== undefined) ev.type = r.type;
  if (r.details !== undefined) ev.details = r.details;
  if (r.stdout !== undefined) ev.stdout = r.stdout;
  if (r.stderr !== undefined) ev.stderr = r.stderr;
  return ev;
}

/** Failed executions recorded in one result, oldest first. */
export function executionsOf(r: TestResult): RetryEvidence[] {
  return isFailingStatus(r.status) ? [asExecution(r), ...r.retries] : [...r.retries];
}

/**
 * Evidence kinds follow the verdict: earlier failures of a test that now passes (or is skipped) are
 * `flaky*`, of a test that still fails `rerun*`. The Failure/Error part is kept.
 */
export function normalizeEvidence(evidence: readonly RetryEvidence[], status: TestStatus): RetryEvidence[] {
  const prefix = isFailingStatus(status) ? 'rerun' : 'flaky';
  return evidence.map((e) => {
    const kind = `${prefix}${isErrorKind(e.kind) ? 'Error' : 'Failure'}` as RetryEvidenceKind;
    return kind === e.kind ? e : { ...e, kind };
  });
}

/**
 * For a failing test: the index of the execution shown as its <failure>/<error>, the first one of
 * the final kind (Surefire shows the first run; matching the kind keeps element and verdict equal).
 * -1 when the test is not failing.
 */
export function primaryIndex(executions: readonly RetryEvidence[], status: TestStatus): number {
  if (!isFailingStatus(status)) return -1;
  const wantError = status === 'error';
  return executions.findIndex((e) => isErrorKind(e.kind) === wantError);
}
