import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  type Attempt,
  DEFAULT_MAX_INPUT_BYTES,
  mergedJUnitChunks,
  type PolicyOptions,
  type RunState,
  runState,
} from '@dozhim/core';
import { getAdapter } from '../adapters/index.js';
import { InfrastructureError, UsageError } from '../cli/exit-codes.js';
import { type ResolvedRunId, resolveRunId } from '../cli/option-table.js';
import type { ResolvedOptions } from '../cli/options.js';
import { loadQuarantine, nativeIdsOf, type Quarantine } from '../cli/quarantine.js';
import type { Deps } from '../deps.js';
import { type Printer, summaryText } from '../output/output.js';
import { type RunSummary, summaryRows, summaryView, writeSummaryJson } from '../output/summary.js';
import { LocalState, type StoredAttempt } from '../store/local-state.js';
import { ReporterClient } from '../store/reporter-client.js';
import { RunStore } from '../store/run-store.js';
import type { LoopResult } from './run-loop.js';
import { missingShards } from './shards.js';

/** What every command working on a run needs: its id, its store and the policy. */

export interface Session {
  runId: string;
  runIdSource: ResolvedRunId['source'];
  store: RunStore;
  policy: PolicyOptions & { quarantine: Quarantine };
  /** Aborted (reason = the signal) on SIGINT/SIGTERM while withInterrupts runs; the reporter client listens too. */
  interrupts: AbortController;
}

/**
 * `query`: a command that only reads the run (failed, decide, report): without a reachable reporter
 * it fails (exit 7) instead of answering from an empty local state.
 */
export async function openSession(
  options: ResolvedOptions,
  deps: Deps,
  printer: Printer,
  runIdRequired: boolean,
  query = false,
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
  const store = new RunStore(new LocalState(options.stateDir), reporter, (m) => printer.warn(m), !query);
  const ctx = { cwd: options.cwd, junitPath: '', threads: options.policy.threads };
  const quarantine = await loadQuarantine(
    options.quarantineFile,
    nativeIdsOf(getAdapter(options.framework), ctx),
  );
  return { runId, runIdSource: source, store, policy: { ...options.policy, quarantine }, interrupts };
}

/**
 * The run's attempts, refusing to go on from an incomplete sharded attempt: deciding before every
 * shard reported would leave the missing shards' failures out (a shard that started late).
 */
export async function loadCompleteAttempts(session: Session, printer: Printer): Promise<StoredAttempt[]> {
  const attempts = await session.store.loadAttempts(session.runId);
  for (const a of attempts) {
    session.policy.quarantine.learn(a.results);
    const missing = missingShards(a);
    if (missing.length > 0) {
      throw new InfrastructureError(
        `attempt ${a.number} of run ${session.runId} is split into ${a.meta.shardTotal} shards, but ` +
          `${missing.length} have not reported (missing: ${missing.join(', ')}); ` +
          'the rerun must start after every shard job finished',
      );
    }
    if (!a.meta.shardTotal && (a.shards?.length ?? 0) > 1) {
      printer.warn(
        `dozhim: WARNING: attempt ${a.number} of run ${session.runId} has shards ${a.shards!.join(', ')} ` +
          'but no shard total, so dozhim cannot tell whether one is missing; name shards K/N (--shard 2/3)\n',
      );
    }
  }
  return attempts;
}

/** Quarantine entries that named no test of the run: said once, at the end, so a typo is seen. */
export function warnUnmatchedQuarantine(session: Session, printer: Printer): void {
  const unmatched = session.policy.quarantine.unmatched();
  if (unmatched.length === 0) return;
  printer.warn(
    `dozhim: WARNING: ${unmatched.length} quarantine entr${unmatched.length === 1 ? 'y matches' : 'ies match'} no test of run ${session.runId}: ${unmatched.join(', ')}\n`,
  );
}

/** For the queries: an unknown run is an error, never an empty "nothing failed". */
export function requireAttempts(attempts: readonly StoredAttempt[], session: Session): void {
  if (attempts.length > 0) return;
  const where = session.store.usingReporter
    ? `the reporter ${session.store.reporter!.baseUrl}`
    : `local state ${session.store.local.runDir(session.runId)}`;
  throw new UsageError(`run ${session.runId} has no recorded attempts in ${where}`);
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
  attempts: readonly Attempt[],
  runId: string,
  state: RunState = runState(attempts),
  /** The reader's cap (a smaller one in tests). */
  maxBytes = DEFAULT_MAX_INPUT_BYTES,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  // Streamed, one suite's testcases at a time: a 100k-test report is never one string in memory.
  // Written whole and counted on the way; only a report over the reader's cap (rare: huge outputs of
  // very many tests) is written again with the writer's size limit, which cuts its texts to fit.
  const write = async (maxBytes?: number): Promise<number> => {
    const file = await open(path, 'w');
    let bytes = 0;
    try {
      for (const chunk of mergedJUnitChunks(
        attempts,
        { name: runId, ...(maxBytes ? { maxBytes } : {}) },
        state,
      )) {
        bytes += Buffer.byteLength(chunk);
        await file.write(chunk);
      }
    } finally {
      await file.close();
    }
    return bytes;
  };
  if ((await write(Number.POSITIVE_INFINITY)) > maxBytes) await write(maxBytes);
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
  // The loop's own fold when it ended on a decision (it covers exactly loop.attempts), else one here.
  const state = loop.attempts.length === 0 ? undefined : (loop.state ?? runState(loop.attempts));
  if (state) {
    try {
      await writeReport(options.reportPath, loop.attempts, runId, state);
      report = options.reportPath;
    } catch (e) {
      printer.warn(
        `dozhim: could not write the merged report ${options.reportPath}: ${(e as Error).message}\n`,
      );
    }
  }
  // After an interrupt or an infrastructure stop the last decision is stale: describe the state.
  const d = loop.stopReason === 'decision' ? loop.decision : undefined;
  const last = loop.decision;
  const quarantine = session.policy.quarantine;
  const summary: RunSummary = {
    runId,
    exitCode: loop.exitCode,
    stopReason: loop.stopReason,
    line: loop.line,
    outcome: d
      ? d.outcome
      : loop.stopReason === 'shard' && state
        ? state.failing.some((id) => !quarantine.has(id))
          ? 'failed'
          : 'passed'
        : 'error',
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
  warnUnmatchedQuarantine(session, printer);
  printer.info(`\n${summaryText(summaryView(summary), printer.style)}`);
  if (options.summaryJson) await writeSummaryJson(options.summaryJson, summary);
  return summary;
}
