import type { StatusCounts, TestStatus } from '@dozhim/core';
import type { AttemptSummary, RunProgress } from '../snapshot.js';
import type { AttemptRecord, ShardRecord } from './records.js';
import { statusOf } from './rows.js';

/** What the summary queries of db/sql.ts answer, on either backend. */
export interface SummaryRows {
  /** ATTEMPT_COUNTS: per attempt and severity, how many tests (each test once per attempt). */
  attemptCounts: readonly { attempt: number; sev: number; n: number }[];
  /** SHARDS_WITH_COUNTS: each shard with the counts stored at its upload. */
  shards: readonly (ShardRecord & Record<Exclude<TestStatus, never>, number>)[];
  attempts: readonly AttemptRecord[];
  /** FAILING_IDS, sorted. */
  failing: readonly string[];
  /** EVER_FAILED_IDS and EVIDENCE_IDS: tests that failed, or carried retry evidence, at some point. */
  everFailed: readonly string[];
  evidence: readonly string[];
  /** CURRENT_COUNTS: each test's current status, counted (null columns when the run is empty). */
  current: Partial<Record<TestStatus, number | null>> | undefined;
}

const zero = (): StatusCounts => ({ total: 0, passed: 0, failed: 0, error: 0, skipped: 0 });
const STATUSES: readonly TestStatus[] = ['skipped', 'passed', 'failed', 'error'];

/**
 * The run summary of GET /api/v1/runs/:id from its SQL answers: one assembly for both backends
 * (equal to snapshot.ts summarizeRun(), the core runState() fold, which a randomized test checks).
 * Flaky = failed or carried retry evidence at some point, and not failing now.
 */
export function assembleSummary(rows: SummaryRows): RunProgress {
  const byAttempt = new Map<number, StatusCounts>();
  for (const { attempt, sev, n } of rows.attemptCounts) {
    const c = byAttempt.get(attempt) ?? zero();
    byAttempt.set(attempt, c);
    c[statusOf(sev)] += n;
    c.total += n;
  }
  const attempts = rows.attempts.map(
    (rec): AttemptSummary => ({
      ...rec,
      counts: byAttempt.get(rec.attempt) ?? zero(),
      shards: rows.shards
        .filter((s) => s.attempt === rec.attempt)
        .map((s) => ({
          name: s.name,
          uploadedAt: s.uploadedAt,
          counts: {
            total: s.passed + s.failed + s.error + s.skipped,
            passed: s.passed,
            failed: s.failed,
            error: s.error,
            skipped: s.skipped,
          },
        })),
    }),
  );
  const failing = [...rows.failing];
  const failingSet = new Set(failing);
  const flaky = [...new Set([...rows.everFailed, ...rows.evidence])]
    .filter((id) => !failingSet.has(id))
    .sort();
  const totals = { ...zero(), flaky: flaky.length };
  for (const status of STATUSES) {
    const n = rows.current?.[status] ?? 0;
    totals[status] = n;
    totals.total += n;
  }
  return { attempts, current: { failing, flaky, totals } };
}
