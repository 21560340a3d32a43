import { type Decision, decide, type PolicyOptions, type RunState, runState } from '@dozhim/core';
import type { TestRef } from '../adapters/types.js';
import { ExitCode, exitCodeForDecision, signalExitCode } from '../cli/exit-codes.js';
import type { Quarantine } from '../cli/quarantine.js';
import { decisionLine, formatDuration } from '../output/output.js';
import type { StopReason } from '../output/summary.js';
import type { StoredAttempt } from '../store/local-state.js';
import type { RunStore } from '../store/run-store.js';
import { type AttemptContext, type AttemptPlan, type AttemptRun, executeAttempt } from './execute-attempt.js';
import { runShell, waitHealthy } from './health-check.js';
import type { ShardPosition } from './shards.js';

/**
 * The attempts loop: run, store, decide, and either stop or rerun only the failing tests with
 * fewer threads, after the health check and the before-rerun hook.
 */

export interface LoopContext extends AttemptContext {
  store: RunStore;
  policy: PolicyOptions & { quarantine: Quarantine };
}

export interface LoopResult {
  attempts: StoredAttempt[];
  /** Attempt numbers whose test command this invocation started (a failed health check starts none). */
  executed: number[];
  decision?: Decision;
  /** With a decision stop: `runState(attempts)`, the fold the decision was made on (folded once per attempt). */
  state?: RunState;
  stopReason: StopReason;
  /** The line that ended the loop, in the pipelines' words. */
  line: string;
  exitCode: number;
  signal?: NodeJS.Signals;
}

/**
 * What the next attempt needs to know of each failing test, from its latest result. `state` is
 * `runState(attempts)` when the caller has folded them already.
 */
export function testRefs(
  attempts: readonly StoredAttempt[],
  ids: readonly string[],
  state: RunState = runState(attempts),
): TestRef[] {
  return ids.map((id) => {
    const r = state.tests.get(id)?.latest;
    return r
      ? {
          id,
          suite: r.suite,
          classname: r.classname,
          name: r.name,
          ...(r.file ? { file: r.file } : {}),
          ...(r.project ? { project: r.project } : {}),
          // Playwright's serial groups are found through the test's annotations.
          ...(Object.keys(r.properties).length > 0 ? { properties: r.properties } : {}),
        }
      : { id, suite: '', classname: '', name: id };
  });
}

export const nextPlan = (
  attempts: readonly StoredAttempt[],
  decision: Decision,
  state: RunState = runState(attempts),
): AttemptPlan => ({
  attempt: decision.nextAttempt ?? decision.attempt + 1,
  threads: decision.nextThreads ?? 1,
  selection: testRefs(attempts, decision.testsToRerun, state),
});

function stored(run: AttemptRun): StoredAttempt {
  return {
    number: run.attempt,
    threads: run.threads,
    ...(run.selected ? { selected: run.selected } : {}),
    results: run.results,
    meta: {
      threads: run.threads,
      ...(run.selected ? { selected: run.selected, selectedCount: run.selected.length } : {}),
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      ...(run.exitCode !== null ? { exitCode: run.exitCode } : {}),
    },
  };
}

/**
 * Runs attempts starting with `plan` after the `prior` ones, at most `maxAttempts` of them in this
 * invocation (`dozhim run`: until the policy stops; `dozhim attempt`: one).
 */
export async function runLoop(
  ctx: LoopContext,
  start: {
    prior: readonly StoredAttempt[];
    plan: AttemptPlan;
    maxAttempts: number;
    failOnFlaky: boolean;
    /**
     * A shard job of attempt 1: it runs its share and stores it, and decides nothing (the policy
     * needs the whole attempt; the rerun job decides). Exit 0 when its share passed, else 1.
     */
    shard?: ShardPosition;
  },
): Promise<LoopResult> {
  const { deps, options, printer, store, policy } = ctx;
  const attempts = [...start.prior];
  const executed: number[] = [];
  const stop = (stopReason: StopReason, line: string, exitCode: number, extra: Partial<LoopResult> = {}) =>
    ({ attempts, executed, stopReason, line, exitCode, ...extra }) satisfies LoopResult;
  let plan = start.plan;
  let decision: Decision | undefined;
  const hookCtx = { deps, cwd: options.cwd, env: deps.env, abort: ctx.abort };
  const interrupted = (): LoopResult => {
    const sig = (ctx.abort.reason as NodeJS.Signals | undefined) ?? 'SIGTERM';
    const line = `INTERRUPTED - received ${sig}`;
    printer.info(decisionLine(line, printer.style));
    return stop('interrupted', line, signalExitCode(sig), {
      signal: sig,
      ...(decision ? { decision } : {}),
    });
  };

  for (let n = 0; n < start.maxAttempts; n++) {
    if (plan.selection && options.healthCheck) {
      printer.info(`dozhim: health check before attempt ${plan.attempt}: ${options.healthCheck}\n`);
      const health = await waitHealthy(options.healthCheck, options.healthTimeoutMs, hookCtx);
      if (ctx.abort.aborted) return interrupted();
      if (!health.healthy) {
        const line = `TERMINATED - environment unhealthy: health check still failing after ${formatDuration(health.elapsedMs)} (${health.tries} tries)`;
        printer.info(decisionLine(line, printer.style));
        return stop('unhealthy', line, ExitCode.Unhealthy, decision ? { decision } : {});
      }
    }
    if (plan.selection && options.beforeRerun) {
      printer.info(`dozhim: before-rerun hook: ${options.beforeRerun}\n`);
      const code = await runShell(options.beforeRerun, hookCtx);
      if (ctx.abort.aborted) return interrupted();
      if (code !== 0) {
        const line = `TERMINATED - infrastructure error: the before-rerun hook failed (exit ${code ?? 'killed'})`;
        printer.info(decisionLine(line, printer.style));
        return stop('infrastructure', line, ExitCode.Infrastructure, decision ? { decision } : {});
      }
    }

    // Announced before it runs: the reporter then refuses late writes to the earlier attempts (a
    // late shard job) instead of changing the results this attempt was selected from.
    await store.patchAttempt(ctx.runId, plan.attempt, {
      threads: plan.threads,
      startedAt: new Date(deps.now()).toISOString(),
      ...(plan.selection ? { selectedCount: plan.selection.length } : {}),
      ...(start.shard ? { shardTotal: start.shard.total } : {}),
    });
    const run = await executeAttempt(ctx, plan);
    executed.push(run.attempt);
    const attempt = stored(run);
    if (run.infrastructure) {
      await store.patchAttempt(ctx.runId, run.attempt, attempt.meta);
      const line = `TERMINATED - infrastructure error: ${run.infrastructure}`;
      printer.info(decisionLine(line, printer.style));
      return stop('infrastructure', line, ExitCode.Infrastructure, decision ? { decision } : {});
    }
    if (run.interrupted) {
      // An interrupted attempt is not done: its partial results go into this invocation's report
      // only, never into the stores, so a later `dozhim attempt`/`decide` runs it again rather than
      // taking "the tests that got to run" for the whole suite.
      if (run.results.length > 0) attempts.push(attempt);
      await store.patchAttempt(ctx.runId, run.attempt, attempt.meta);
      return interrupted();
    }
    await store.saveResults(ctx.runId, run.attempt, options.shard, run.results);
    attempts.push(attempt);
    policy.quarantine.learn(run.results);
    if (start.shard) {
      const failing = runState([attempt]).failing.filter((id) => !policy.quarantine.has(id));
      const line = `SHARD ${start.shard.index}/${start.shard.total} - ${
        failing.length === 0
          ? `all ${run.results.length} tests passed`
          : `${failing.length} failed tests, left for the rerun job`
      }`;
      printer.info(decisionLine(line, printer.style));
      return stop('shard', line, failing.length === 0 ? ExitCode.Passed : ExitCode.Failing);
    }

    // One fold per attempt: the decision, the next selection and the final report all read it.
    const state = runState(attempts);
    decision = decide(attempts, policy, state);
    const { action, reason, line } = decision;
    await store.patchAttempt(ctx.runId, run.attempt, { ...attempt.meta, decision: { action, reason, line } });
    printer.info(decisionLine(line, printer.style));
    // A signal that arrived while the results were being stored still ends the run as interrupted.
    if (ctx.abort.aborted) return interrupted();
    if (decision.action !== 'retry' || n + 1 >= start.maxAttempts) {
      return stop('decision', line, exitCodeForDecision(decision, start), { decision, state });
    }
    plan = nextPlan(attempts, decision, state);
  }
  throw new RangeError('runLoop needs maxAttempts >= 1');
}
