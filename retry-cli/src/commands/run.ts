import { getAdapter } from '../adapters/index.js';
import { ciMetadata } from '../cli/ci-env.js';
import { UsageError } from '../cli/exit-codes.js';
import type { ResolvedOptions } from '../cli/options.js';
import type { Deps } from '../deps.js';
import { runLoop } from '../loop/run-loop.js';
import { finishRun, openSession, withInterrupts } from '../loop/run-session.js';
import { createPrinter } from '../output/output.js';
import type { RunSummary } from '../output/summary.js';

export interface RunResult {
  exitCode: number;
  summary: RunSummary;
}

/** `dozhim run`: the whole loop, from the first attempt until the policy stops. */
export async function runCommand(options: ResolvedOptions, deps: Deps): Promise<RunResult> {
  if (options.command.length === 0)
    throw new UsageError('no test command: dozhim run [options] -- <test command...>');
  const printer = createPrinter(deps);
  const adapter = getAdapter(options.framework);
  const session = await openSession(options, deps, printer, false);
  const { runId, store } = session;
  if (session.runIdSource === 'generated') {
    printer.info(`dozhim: run id ${runId} (generated; choose one with --run-id or DOZHIM_RUN_ID)\n`);
  }
  await store.startRun(runId, ciMetadata(deps.env));
  // `run` starts a run from its first attempt. A run id that already has attempts (a retried CI job
  // keeps its pipeline id) gets a new try: the old attempts are kept as history and no longer count,
  // so the verdict and the report are this try's alone.
  const superseded = await store.startNewTry(runId, deps.now());
  if (superseded > 0) {
    printer.warn(
      `dozhim: run ${runId} already had ${superseded} attempt(s) in the reporter (a retried job?): ` +
        'starting a new try of it; the earlier attempts are kept as history and no longer count. ' +
        'To continue that run instead, use `dozhim attempt`; for a separate run, pass a new --run-id.\n',
    );
  }
  const url = store.runUrl(runId);
  if (url) printer.info(`dozhim: reporter run ${url}\n`);

  const loop = await withInterrupts(deps, session, (abort) =>
    runLoop(
      { deps, options, adapter, printer, runId, abort, store, policy: session.policy },
      {
        prior: [],
        plan: { attempt: 1, threads: session.policy.threads },
        maxAttempts: session.policy.maxRuns,
        failOnFlaky: options.failOnFlaky,
      },
    ),
  );
  const summary = await finishRun(session, options, printer, loop);
  return { exitCode: loop.exitCode, summary };
}
