import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { countStatuses, type Decision } from '@dozhim/core';
import { type StoredAttempt, selectedCount } from '../store/local-state.js';
import type { SummaryRow, SummaryView } from './output.js';

/** The machine-readable end of a run (`--summary-json`), and the rows of the printed summary table. */

/** Why a loop ended: a policy decision, a guard, or the end of a shard job's share (no decision). */
export type StopReason = 'decision' | 'unhealthy' | 'infrastructure' | 'interrupted' | 'shard';

export interface RunSummary {
  runId: string;
  exitCode: number;
  stopReason: StopReason;
  /** The last decision line, or the reason the run stopped without one. */
  line: string;
  outcome: Decision['outcome'] | 'error';
  decision: Pick<Decision, 'action' | 'reason' | 'line'> | null;
  mode: 'reporter' | 'local';
  reporterUrl?: string;
  runUrl?: string;
  localModeReason?: string;
  attempts: (SummaryRow & { error: number; exitCode: number | null })[];
  flaky: string[];
  failing: string[];
  quarantined: string[];
  notRetried: string[];
  report?: string;
}

export function summaryRows(attempts: readonly StoredAttempt[]): RunSummary['attempts'] {
  return attempts.map((a) => {
    const c = countStatuses(a.results);
    const selected = selectedCount(a);
    return {
      attempt: a.number,
      threads: a.threads ?? 0,
      ...(selected !== undefined ? { selected } : {}),
      total: c.total,
      passed: c.passed,
      // The table's "failed" column counts errors too: both fail the run.
      failed: c.failed + c.error,
      error: c.error,
      skipped: c.skipped,
      durationMs:
        a.meta.startedAt && a.meta.finishedAt
          ? Date.parse(a.meta.finishedAt) - Date.parse(a.meta.startedAt)
          : 0,
      exitCode: a.meta.exitCode ?? null,
    };
  });
}

export function summaryView(s: RunSummary): SummaryView {
  return {
    runId: s.runId,
    rows: s.attempts,
    flaky: s.flaky,
    failing: s.failing,
    quarantined: s.quarantined,
    line: s.line,
    ...(s.localModeReason ? { localModeReason: s.localModeReason } : {}),
    ...(s.runUrl ? { runUrl: s.runUrl } : {}),
    ...(s.report ? { reportPath: s.report } : {}),
  };
}

export async function writeSummaryJson(path: string, summary: RunSummary): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(summary, null, 2)}\n`);
}
