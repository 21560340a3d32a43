import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type PolicyOptions, runState, writeMergedJUnit } from '@dozhim/core';
import { type ResolvedRunId, resolveRunId } from './ci-env.js';
import type { Deps } from './deps.js';
import { UsageError } from './exit-codes.js';
import { LocalState, type StoredAttempt } from './local-state.js';
import { loadQuarantine, type ResolvedOptions } from './options.js';
import { type Printer, summaryText } from './output.js';
import { ReporterClient } from './reporter-client.js';
import type { LoopResult } from './run-loop.js';
import { RunStore } from './run-store.js';
import { type RunSummary, summaryRows, summaryView, writeSummaryJson } from './summary.js';

/** What every command working on a run needs: its id, its store and the policy. */

export interface Session {
  runId: string;
  runIdSource: ResolvedRunId['source'];
  store: RunStore;
  policy: PolicyOptions;
  /** Aborted (reason = the signal) on SIGINT/SIGTERM while withInterrupts runs; the reporter client listens too. */
  interrupts: AbortController;
}

export async function openSession(
  options: ResolvedOptions,
  deps: Deps,
  printer: Printer,
  runIdRequired: boolean,
): Promise<Session> {
  const { runId, source } = resolveRunId(options.runId, deps.env, new Date(deps.now()));
  if (runIdRequired && source === 'generated') {
    throw new UsageError('no run id: pass --run-id (or set DOZHIM_RUN_ID)');
  }
  const interrupts = new AbortController();
  const reporter = options.reporterUrl
    ? new ReporterClient({
        // A signal must not wait out the reporter's retry budget (30 s by default, longer than CI's
        // kill grace): it cancels the request in flight and the backoff.
        signal: interrupts.signal,
        baseUrl: options.reporterUrl,
        ...(options.token ? { token: options.token } : {}),
        budgetMs: options.reporterBudgetMs,
        http: deps.http,
        sleep: (ms) => deps.sleep(ms),
        now: () => deps.now(),
      })
    : undefined;
  const store = new RunStore(new LocalState(options.stateDir), reporter, (m) => printer.warn(m));
  const quarantine = await loadQuarantine(options.quarantineFile);
  return { runId, runIdSource: source, store, policy: { ...options.policy, quarantine }, interrupts };
}

/**
 * Runs `fn` with SIGINT/SIGTERM turned into an abort (reason = the signal), so the loop can forward
 * the signal to the test process group, write the partial report and exit 128+n.
 */
export async function withInterrupts<T>(
  deps: Deps,
  session: Session,
  fn: (abort: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = session.interrupts;
  const unsubscribe = deps.onSignal((sig) => {
    if (!controller.signal.aborted) controller.abort(sig);
  });
  try {
    return await fn(controller.signal);
  } finally {
    unsubscribe();
  }
}

export async function writeReport(
  path: string,
  attempts: readonly StoredAttempt[],
  runId: string,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, writeMergedJUnit(attempts, { name: runId }));
}

/** End of `run` / `attempt`: merged report, summary table, summary JSON. */
export async function finishRun(
  session: Session,
  options: ResolvedOptions,
  printer: Printer,
  loop: LoopResult,
): Promise<RunSummary> {
  const { runId, store } = session;
  let report: string | undefined;
  if (loop.attempts.length > 0) {
    try {
      await writeReport(options.reportPath, loop.attempts, runId);
      report = options.reportPath;
    } catch (e) {
      printer.warn(
        `dozhim: could not write the merged report ${options.reportPath}: ${(e as Error).message}\n`,
      );
    }
  }
  const state = loop.attempts.length > 0 ? runState(loop.attempts) : undefined;
  // After an interrupt or an infrastructure stop the last decision is stale: describe the state.
  const d = loop.stopReason === 'decision' ? loop.decision : undefined;
  const last = loop.decision;
  const quarantine = session.policy.quarantine;
  const summary: RunSummary = {
    runId,
    exitCode: loop.exitCode,
    stopReason: loop.stopReason,
    line: loop.line,
    outcome: d ? d.outcome : 'error',
    decision: last ? { action: last.action, reason: last.reason, line: last.line } : null,
    mode: store.usingReporter ? 'reporter' : 'local',
    ...(store.reporter ? { reporterUrl: store.reporter.baseUrl } : {}),
    ...(store.runUrl(runId) ? { runUrl: store.runUrl(runId)! } : {}),
    ...(store.localModeReason ? { localModeReason: store.localModeReason } : {}),
    attempts: summaryRows(loop.attempts),
    flaky: d?.flaky ?? state?.flaky.filter((id) => !quarantine.has(id)) ?? [],
    failing: d?.failing ?? state?.failing.filter((id) => !quarantine.has(id)) ?? [],
    quarantined: d?.quarantined ?? state?.failing.filter((id) => quarantine.has(id)) ?? [],
    notRetried: d?.notRetried ?? [],
    ...(report ? { report } : {}),
  };
  printer.info(`\n${summaryText(summaryView(summary), printer.style)}`);
  if (options.summaryJson) await writeSummaryJson(options.summaryJson, summary);
  return summary;
}
