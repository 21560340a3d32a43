import { countStatuses, decide, runState } from '@dozhim/core';
import { getAdapter } from '../adapters/index.js';
import { ciMetadata } from '../cli/ci-env.js';
import { ExitCode, exitCodeForDecision, InfrastructureError, UsageError } from '../cli/exit-codes.js';
import type { ResolvedOptions } from '../cli/options.js';
import type { Deps } from '../deps.js';
import { nextPlan, runLoop } from '../loop/run-loop.js';
import { finishRun, loadCompleteAttempts, openSession, withInterrupts } from '../loop/run-session.js';
import { shardPosition } from '../loop/shards.js';
import { createPrinter, decisionLine } from '../output/output.js';

export interface AttemptCommandOptions extends ResolvedOptions {
  /** Attempt number to run; default: the one after the last recorded. */
  attempt?: number;
  json: boolean;
  /** The retry job of a sharded pipeline: never runs attempt 1. */
  rerun?: boolean;
}

export interface AttemptCommandResult {
  exitCode: number;
  /** What `--json` prints. */
  report: {
    runId: string;
    attempt: number | null;
    ran: boolean;
    threads: number | null;
    selected: number | null;
    counts: ReturnType<typeof countStatuses> | null;
    line: string;
    decision: {
      action: string;
      reason: string;
      line: string;
      nextThreads?: number;
      testsToRerun: string[];
    } | null;
    failing: string[];
    flaky: string[];
    exitCode: number;
    mode: 'reporter' | 'local';
  };
}

/**
 * `dozhim attempt`: one attempt of a run whose attempts happen in separate jobs or stages. The
 * first attempt runs everything; a later one runs the tests the run's current state says must be
 * retried (from the reporter, which may hold other jobs' shards, or local state), unless the policy
 * already stopped the run, in which case nothing runs and the decision is printed again.
 */
export async function attemptCommand(
  options: AttemptCommandOptions,
  deps: Deps,
): Promise<AttemptCommandResult> {
  if (options.command.length === 0) {
    throw new UsageError('no test command: dozhim attempt [options] -- <test command...>');
  }
  // Three roles: a shard job (`--shard K/N`: attempt 1's share K, decides nothing), the retry job
  // of a sharded pipeline (`--rerun`: reruns only), or one stage of a sequential pipeline (attempt
  // 1 when the run has none, else the next rerun).
  const shard = options.shard === 'default' ? undefined : shardPosition(options.shard);
  if (options.shard !== 'default' && !shard) {
    throw new UsageError(
      `--shard ${JSON.stringify(options.shard)}: dozhim attempt takes K/N (share K of N, 1 <= K <= N), e.g. --shard 2/3`,
    );
  }
  if (shard && (options.rerun || (options.attempt !== undefined && options.attempt !== 1))) {
    throw new UsageError('--shard runs a share of attempt 1: it cannot go with --rerun or --attempt N > 1');
  }
  if (options.rerun && options.attempt === 1) throw new UsageError('--rerun never runs attempt 1');
  const printer = createPrinter(deps, options.json);
  const adapter = getAdapter(options.framework);
  const session = await openSession(options, deps, printer, true);
  const { runId, store, policy } = session;
  await store.startRun(runId, ciMetadata(deps.env));

  // A shard job expects attempt 1 to be incomplete (the other shards may still run).
  const all = shard ? await store.loadAttempts(runId) : await loadCompleteAttempts(session, printer);
  const last = all.length > 0 ? all[all.length - 1]!.number : 0;
  if (shard && last > 1) {
    throw new UsageError(
      `run ${runId} is already past attempt 1 (attempt ${last} ran from its results): shard ${options.shard} ` +
        'of attempt 1 can no longer change it. A retried shard job after the rerun job cannot change the verdict: ' +
        're-run the pipeline (a new run id)',
    );
  }
  if (options.rerun && last === 0) {
    throw new InfrastructureError(
      `nothing to rerun: run ${runId} has no attempt 1${store.usingReporter ? '' : ' in local state'} ` +
        '(did the shard jobs run, and reach the reporter?)',
    );
  }
  const number = shard ? 1 : (options.attempt ?? last + 1);
  const prior = all.filter((a) => a.number < number);
  const base = {
    runId,
    attempt: number,
    mode: store.usingReporter ? ('reporter' as const) : ('local' as const),
  };

  let plan = { attempt: 1, threads: policy.threads } as ReturnType<typeof nextPlan>;
  if (number > 1) {
    if (prior.length === 0)
      throw new UsageError(`run ${runId} has no recorded attempt before attempt ${number}`);
    // One fold for the decision and the selection.
    const state = runState(prior);
    const before = decide(prior, policy, state);
    if (before.action !== 'retry') {
      printer.info(decisionLine(before.line, printer.style));
      const exitCode = exitCodeForDecision(before, options);
      return {
        exitCode,
        report: {
          ...base,
          attempt: null,
          ran: false,
          threads: null,
          selected: null,
          counts: null,
          line: before.line,
          decision: { action: before.action, reason: before.reason, line: before.line, testsToRerun: [] },
          failing: before.failing,
          flaky: before.flaky,
          exitCode,
        },
      };
    }
    // Threads come from the decision: the last attempt's halved, or the schedule from --threads
    // when the earlier attempts were uploaded without a thread count.
    plan = { ...nextPlan(prior, before, state), attempt: number };
  }

  const loop = await withInterrupts(deps, session, (abort) =>
    runLoop(
      { deps, options, adapter, printer, runId, abort, store, policy },
      { prior, plan, maxAttempts: 1, failOnFlaky: options.failOnFlaky, ...(shard ? { shard } : {}) },
    ),
  );
  const summary = await finishRun(session, options, printer, loop);
  const mine = loop.attempts.find((a) => a.number === number);
  const d = loop.decision;
  // A shard's results that stayed in this job's local state never reach the rerun job: however its
  // tests went, the job failed to do its part.
  const lost = shard !== undefined && store.reporter !== undefined && !store.usingReporter;
  if (lost) {
    printer.warn(
      `dozhim: shard ${options.shard} of run ${runId} could not reach the reporter; its results are only in ${store.local.stateDir}, so the rerun job cannot see them (exit 7)\n`,
    );
  }
  const exitCode = lost ? ExitCode.Infrastructure : loop.exitCode;
  return {
    exitCode,
    report: {
      ...base,
      mode: summary.mode,
      ran: loop.executed.includes(number),
      threads: plan.threads,
      selected: plan.selection ? plan.selection.length : null,
      counts: mine ? countStatuses(mine.results) : null,
      line: loop.line,
      decision: d
        ? {
            action: d.action,
            reason: d.reason,
            line: d.line,
            ...(d.nextThreads !== undefined ? { nextThreads: d.nextThreads } : {}),
            testsToRerun: d.testsToRerun,
          }
        : null,
      failing: summary.failing,
      flaky: summary.flaky,
      exitCode,
    },
  };
}
