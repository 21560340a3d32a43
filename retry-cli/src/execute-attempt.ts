import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { TestResult } from '@dozhim/core';
import { NONE } from './adapters/index.js';
import type { FrameworkAdapter, TestRef } from './adapters/types.js';
import { buildCommand, type CommandSpec, placeholderEnv } from './command-line.js';
import type { Deps } from './deps.js';
import {
  attemptJUnitPath,
  collectReports,
  type Fingerprints,
  safeSegment,
  snapshotReports,
} from './junit-collect.js';
import type { ResolvedOptions } from './options.js';
import { attemptHeader, attemptTitle, type Printer, sectionEnd, sectionStart } from './output.js';
import type { ProcessResult } from './process-runner.js';
import { shardPlaceholders } from './shards.js';

/**
 * One attempt: build the command, run it, read this attempt's reports, and apply the guards
 * (command not found, crash, no usable report → infrastructure error, never retried).
 */

export interface AttemptContext {
  deps: Deps;
  options: ResolvedOptions;
  adapter: FrameworkAdapter;
  printer: Printer;
  runId: string;
  /** Aborted (reason = the signal name) when dozhim receives SIGINT/SIGTERM. */
  abort: AbortSignal;
}

export interface AttemptPlan {
  attempt: number;
  threads: number;
  /** Tests to rerun; undefined = the whole suite (first attempt). */
  selection?: readonly TestRef[];
}

export interface AttemptRun {
  attempt: number;
  threads: number;
  selected?: string[];
  results: TestResult[];
  exitCode: number | null;
  startedAt: string;
  finishedAt: string;
  /** Why the attempt is unusable (command not found, crash, no report): exit 7, never retried. */
  infrastructure?: string;
  /** Set when dozhim was interrupted during the attempt. */
  interrupted?: NodeJS.Signals;
}

/** After forwarding a signal, how long the suite may take to wind down before its tree is killed. */
const SIGNAL_GRACE_MS = 10_000;

export const NO_RESULT_MESSAGE = 'no result reported';

export function noResult(ref: TestRef): TestResult {
  return {
    id: ref.id,
    suite: ref.suite,
    classname: ref.classname,
    name: ref.name,
    ...(ref.file ? { file: ref.file } : {}),
    status: 'failed',
    durationMs: 0,
    message: NO_RESULT_MESSAGE,
    type: 'dozhim.NoResultReported',
    details: 'The test was selected for this rerun but its report has no result for it.',
    properties: {},
    retries: [],
  };
}

/**
 * A rerun's results: only the selected tests count (jest/vitest list the filtered-out tests as
 * skipped), and a selected test without a result is a failure.
 */
export function rerunResults(
  reported: readonly TestResult[],
  selection: readonly TestRef[],
): { results: TestResult[]; missing: string[] } {
  const selected = new Set(selection.map((t) => t.id));
  const results = reported.filter((r) => selected.has(r.id));
  const seen = new Set(results.map((r) => r.id));
  const missingRefs = selection.filter((t) => !seen.has(t.id));
  return { results: [...results, ...missingRefs.map(noResult)], missing: missingRefs.map((t) => t.id) };
}

const signalOf = (abort: AbortSignal): NodeJS.Signals =>
  (abort.reason as NodeJS.Signals | undefined) ?? 'SIGTERM';

export interface GuardInput {
  result: ProcessResult;
  /** Report files read for this attempt, and those that matched but were unreadable. */
  reportFiles: readonly string[];
  unreadable: readonly string[];
  /** The command as the user wrote it (first element: the program). */
  command: readonly string[];
  /** Where reports were looked for, for the message. */
  lookedAt: string;
  timeoutMs?: number;
}

/**
 * The gotestsum-style guards: why an attempt is unusable (exit 7, never retried), or undefined.
 * Command not found (spawn ENOENT, or exit 127 from sh), a crash (killed by a signal, or by our
 * timeout), or no usable report whatever the exit status: retrying any of these cannot help.
 */
export function infrastructureProblem(g: GuardInput): string | undefined {
  const { result } = g;
  const program = g.command.length === 1 ? (g.command[0] ?? '').trim().split(/\s+/)[0] : g.command[0];
  if (result.spawnError?.code === 'ENOENT' || result.exitCode === 127) return `command not found: ${program}`;
  if (result.spawnError) return `cannot start ${program}: ${result.spawnError.message}`;
  if (result.timedOut) return `the test command timed out after ${g.timeoutMs}ms and was killed`;
  if (result.signal) return `the test command crashed: killed by ${result.signal}`;
  if (g.reportFiles.length === 0) {
    const why = g.unreadable.length > 0 ? `; unreadable: ${g.unreadable.join(', ')}` : '';
    return `the test command exited with code ${result.exitCode} and produced no usable JUnit report ${g.lookedAt}${why}`;
  }
  return undefined;
}

interface PreparedAttempt {
  junitPath: string;
  spec: CommandSpec;
  globs?: readonly string[];
  before?: Fingerprints;
}

/** Fresh report path, the selection files the adapters need, and the command to spawn. */
async function prepare(ctx: AttemptContext, plan: AttemptPlan): Promise<PreparedAttempt> {
  const { options, adapter } = ctx;
  const junitPath = attemptJUnitPath(options.stateDir, ctx.runId, plan.attempt, options.shard);
  const dir = dirname(junitPath);
  // A report left by an earlier try of this attempt (same run id and number) is removed first,
  // so it is never read. Other shards' results in the directory stay.
  await mkdir(dir, { recursive: true });
  await rm(junitPath, { force: true });

  const actx = { cwd: options.cwd, junitPath, threads: plan.threads };
  const selection = plan.selection;
  let testsFile: string | undefined;
  if (selection) {
    const name = options.shard === 'default' ? 'tests.txt' : `tests-${safeSegment(options.shard)}.txt`;
    testsFile = join(dir, name);
    await writeFile(testsFile, selection.map((t) => `${t.id}\n`).join(''));
  }
  const select = selection ? adapter.select(selection, actx) : undefined;
  const values = {
    threads: plan.threads,
    tests: select?.args ?? [],
    testList: selection ? adapter.selectors(selection, actx) : [],
    attempt: plan.attempt,
    runId: ctx.runId,
    junit: junitPath,
    ...shardPlaceholders(options.shard),
  };
  const spec = buildCommand(
    options.command,
    values,
    {
      // With --junit the user says where reports appear: the adapter must not redirect them elsewhere.
      report: options.junit ? NONE : adapter.report(actx),
      threads: adapter.threads(actx),
      ...(select ? { select } : {}),
    },
    placeholderEnv(values, testsFile),
  );
  const globs = options.junit ? [options.junit] : adapter.reportGlobs;
  if (!globs || globs.length === 0) return { junitPath, spec };
  return { junitPath, spec, globs, before: await snapshotReports(globs, options.cwd) };
}

/**
 * Spawns the command and waits for it. A signal to dozhim is forwarded to the command's process
 * group; the group then gets a grace period, a second signal or its end kills the whole tree.
 */
async function supervise(ctx: AttemptContext, spec: CommandSpec): Promise<ProcessResult> {
  const { deps, options, printer } = ctx;
  const proc = deps.spawn(
    {
      file: spec.file,
      args: spec.args,
      env: { ...deps.env, ...spec.env },
      cwd: options.cwd,
      ...(options.attemptTimeoutMs ? { timeoutMs: options.attemptTimeoutMs } : {}),
    },
    printer.child,
  );
  let graceTimer: NodeJS.Timeout | undefined;
  let unsubscribeSecond: (() => void) | undefined;
  const onAbort = (): void => {
    const sig = signalOf(ctx.abort);
    printer.warn(`\ndozhim: received ${sig}, forwarding it to the test process group\n`);
    proc.signalGroup(sig);
    graceTimer = setTimeout(() => proc.killTree(), SIGNAL_GRACE_MS);
    // A second Ctrl-C means "now": no more grace.
    unsubscribeSecond = deps.onSignal(() => {
      printer.warn('dozhim: second signal, killing the test process tree\n');
      proc.killTree();
    });
  };
  if (ctx.abort.aborted) onAbort();
  else ctx.abort.addEventListener('abort', onAbort, { once: true });
  try {
    const result = await proc.result;
    if ((ctx.abort.aborted || result.timedOut) && !(await proc.groupGone(SIGNAL_GRACE_MS))) {
      // The suite's own children (workers, browsers) got the signal too: do not leave before
      // they are gone, and past the grace period kill them.
      proc.killTree();
      await proc.groupGone(1000);
    }
    return result;
  } finally {
    ctx.abort.removeEventListener('abort', onAbort);
    if (graceTimer) clearTimeout(graceTimer);
    unsubscribeSecond?.();
  }
}

export async function executeAttempt(ctx: AttemptContext, plan: AttemptPlan): Promise<AttemptRun> {
  const { options, deps, printer } = ctx;
  const { junitPath, spec, globs, before } = await prepare(ctx, plan);
  const selection = plan.selection;

  const header = {
    attempt: plan.attempt,
    maxRuns: options.policy.maxRuns,
    threads: plan.threads,
    ...(selection ? { selected: selection.length } : {}),
    command: spec.display,
  };
  const section = `dozhim_attempt_${plan.attempt}`;
  if (printer.gitlab) printer.info(sectionStart(section, attemptTitle(header), deps.now() / 1000));
  printer.info(attemptHeader(header, printer.style));
  const startedMs = deps.now();
  const result = await supervise(ctx, spec);
  const finishedMs = deps.now();
  if (printer.gitlab) printer.info(sectionEnd(section, finishedMs / 1000));

  const collected = await collectReports({
    cwd: options.cwd,
    junitPath,
    ...(globs ? { globs } : {}),
    ...(before ? { before } : {}),
  });
  for (const u of collected.unreadable) {
    printer.warn(`dozhim: ignoring unreadable report ${u.file}: ${u.reason}\n`);
  }
  const base = {
    attempt: plan.attempt,
    threads: plan.threads,
    ...(selection ? { selected: selection.map((t) => t.id) } : {}),
    exitCode: result.exitCode,
    startedAt: new Date(startedMs).toISOString(),
    finishedAt: new Date(finishedMs).toISOString(),
  };

  if (ctx.abort.aborted) {
    // Partial results: whatever the suite reported before it was stopped. Nothing is synthesized:
    // the interrupted tests did not fail, they did not finish.
    const selected = selection ? new Set(selection.map((t) => t.id)) : undefined;
    const results = selected ? collected.results.filter((r) => selected.has(r.id)) : collected.results;
    return { ...base, results, interrupted: signalOf(ctx.abort) };
  }

  const problem = infrastructureProblem({
    result,
    reportFiles: collected.files,
    unreadable: collected.unreadable.map((u) => u.file),
    command: options.command,
    lookedAt: globs ? `matching ${globs.join(', ')} (new or changed during this attempt)` : `at ${junitPath}`,
    ...(options.attemptTimeoutMs ? { timeoutMs: options.attemptTimeoutMs } : {}),
  });
  if (problem) return { ...base, results: [], infrastructure: problem };

  if (
    result.exitCode !== 0 &&
    !collected.results.some((r) => r.status === 'failed' || r.status === 'error')
  ) {
    // The report is trusted over the exit status (coverage gates, linters in the same script...).
    printer.warn(
      `dozhim: the test command exited with code ${result.exitCode} but its report has no failing test\n`,
    );
  }
  if (!selection) return { ...base, results: collected.results };
  const { results, missing } = rerunResults(collected.results, selection);
  if (missing.length > 0) {
    printer.warn(`dozhim: ${missing.length} selected test(s) reported no result; counted as failed\n`);
  }
  return { ...base, results };
}
