import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { TestResult } from '@dozhim/core';
import { NONE } from '../adapters/index.js';
import type { FrameworkAdapter, TestRef, TestUnit } from '../adapters/types.js';
import { UsageError } from '../cli/exit-codes.js';
import type { ResolvedOptions } from '../cli/options.js';
import type { Deps } from '../deps.js';
import { attemptHeader, attemptTitle, type Printer, sectionEnd, sectionStart } from '../output/output.js';
import { attemptJUnitPath, selectionFileName } from '../store/state-layout.js';
import { buildCommand, type CommandSpec, placeholderEnv } from './command-line.js';
import { collectReports, type Fingerprints, snapshotReports } from './junit-collect.js';
import type { ProcessResult } from './process-runner.js';
import { shardPlaceholders } from './shards.js';
import { signalOf, supervise } from './supervise.js';

/**
 * One attempt: build the command, run it (supervised by supervise.ts), read this attempt's reports,
 * and apply the guards (command not found, crash, no usable report → infrastructure error, never
 * retried).
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

export const NO_RESULT_MESSAGE = 'no result reported';

export function noResult(ref: TestRef): TestResult {
  return {
    id: ref.id,
    suite: ref.suite,
    classname: ref.classname,
    name: ref.name,
    ...(ref.file ? { file: ref.file } : {}),
    ...(ref.project ? { project: ref.project } : {}),
    status: 'failed',
    durationMs: 0,
    message: NO_RESULT_MESSAGE,
    type: 'dozhim.NoResultReported',
    details: 'The test was selected for this rerun but its report has no result for it.',
    properties: {},
    retries: [],
  };
}

/** The message of a group failure (hook, collection error, `<init>`) whose unit failed again otherwise. */
export const UNIT_FAILED_AGAIN = 'its group failed again';

const failing = (r: TestResult): boolean => r.status === 'failed' || r.status === 'error';

/** Result of a group failure whose unit ran on the rerun and reported no group failure: it passed. */
function unitPassed(ref: TestRef, unit: TestUnit, covered: number): TestResult {
  const { message: _m, type: _t, details: _d, ...rest } = noResult(ref);
  return {
    ...rest,
    status: 'passed',
    properties: { 'dozhim.unit': unit.label, 'dozhim.unitResults': String(covered) },
  };
}

/**
 * THE rule for which reported results count on a rerun. A result counts when its id was selected, or
 * when it belongs to the unit of a selected ref (adapter.unitOf: a hook's describe, a module that did
 * not import, a serial group, a subtest's parents): the unit was re-run whole, and every result of it
 * is evidence. Everything else the framework reported (tests a pattern also caught, jest/vitest's
 * filtered-out tests listed as skipped) is ignored.
 *
 * A selected ref without a result of its own:
 * - a group failure (hook, collection error, `<init>`) whose unit reported results and no group
 *   failure of its own: passed (the group ran and its setup worked this time);
 * - the same, but the unit reported another group failure (another hook of the describe): failed,
 *   pointing at it;
 * - anything else (the unit reported nothing, an ordinary test): failed, "no result reported".
 */
export function rerunResults(
  reported: readonly TestResult[],
  selection: readonly TestRef[],
  unitOf: (ref: TestRef) => TestUnit | undefined = () => undefined,
): { results: TestResult[]; missing: string[]; counted: number } {
  const selected = new Set(selection.map((t) => t.id));
  const units = selection.flatMap((ref) => {
    const unit = unitOf(ref);
    return unit ? [{ ref, unit }] : [];
  });
  const counts = (r: TestResult): boolean => selected.has(r.id) || units.some((u) => u.unit.covers(r));
  const results = reported.filter(counts);
  const seen = new Set(results.map((r) => r.id));
  const missing: string[] = [];
  const synthesized: TestResult[] = [];
  for (const ref of selection) {
    if (seen.has(ref.id)) continue;
    seen.add(ref.id);
    const unit = unitOf(ref);
    const covered = unit?.groupFailure ? results.filter((r) => unit.covers(r)) : [];
    if (!unit?.groupFailure || covered.length === 0) {
      missing.push(ref.id);
      synthesized.push(noResult(ref));
      continue;
    }
    const again = covered.find((r) => failing(r) && unitOf(r)?.groupFailure);
    synthesized.push(
      again
        ? { ...noResult(ref), message: `${UNIT_FAILED_AGAIN}: ${again.id}`, type: 'dozhim.UnitFailedAgain' }
        : unitPassed(ref, unit, covered.length),
    );
  }
  return { results: [...results, ...synthesized], missing, counted: results.length };
}

/**
 * Why a rerun cannot be run as asked (an infrastructure error, exit 7), or undefined: a selected group
 * failure whose unit cannot be selected on its own.
 */
export function unrunnableSelection(
  selection: readonly TestRef[],
  unitOf: (ref: TestRef) => TestUnit | undefined,
): string | undefined {
  for (const ref of selection) {
    const why = unitOf(ref)?.unrunnable;
    if (why) return `cannot re-run ${ref.id}: ${why}`;
  }
  return undefined;
}

/** "3 tests: a, b, c" / "12 tests: a, b, c, … (9 more)" for messages naming a selection. */
export function describeSelection(selection: readonly TestRef[], max = 5): string {
  const shown = selection.slice(0, max).map((t) => t.id);
  const more = selection.length > max ? `, … (${selection.length - max} more)` : '';
  return `${selection.length} test${selection.length === 1 ? '' : 's'}: ${shown.join(', ')}${more}`;
}

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
  // A rerun of many thousands of ids through `{tests}` outgrows the OS's argument space (ARG_MAX).
  if (result.spawnError?.code === 'E2BIG')
    return `cannot start ${program}: the command line is too long for the OS (E2BIG); have the command read the selection from the file in $DOZHIM_TESTS_FILE (one id per line) instead of {tests} or {testList}`;
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
    testsFile = join(dir, selectionFileName(options.shard));
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

export async function executeAttempt(ctx: AttemptContext, plan: AttemptPlan): Promise<AttemptRun> {
  const { options, deps, printer } = ctx;
  const refused = ctx.adapter.preflight?.(options.command, {
    cwd: options.cwd,
    junitPath: '',
    threads: plan.threads,
  });
  if (refused) throw new UsageError(refused);
  const unrunnable = plan.selection && unrunnableSelection(plan.selection, (r) => ctx.adapter.unitOf(r));
  if (unrunnable) {
    // Nothing is started: a partial rerun would leave the group's tests unaccounted for.
    const now = new Date(deps.now()).toISOString();
    return {
      attempt: plan.attempt,
      threads: plan.threads,
      selected: plan.selection!.map((t) => t.id),
      results: [],
      exitCode: null,
      startedAt: now,
      finishedAt: now,
      infrastructure: unrunnable,
    };
  }
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
  // In GitLab the section's own title line is the header: printing both would say it twice.
  if (printer.gitlab) {
    printer.info(
      sectionStart(
        section,
        printer.style.bold(printer.style.cyan(`==> ${attemptTitle(header)}`)),
        deps.now() / 1000,
      ),
    );
    printer.info(`${printer.style.dim(`$ ${header.command}`)}\n`);
  } else printer.info(attemptHeader(header, printer.style));
  const startedMs = deps.now();
  const result = await supervise(ctx, spec);
  const finishedMs = deps.now();
  if (printer.gitlab) printer.info(sectionEnd(section, finishedMs / 1000));

  const collected = await collectReports({
    cwd: options.cwd,
    junitPath,
    ...(globs ? { globs } : {}),
    ...(before ? { before } : {}),
    repeats: options.junitRepeats ?? ctx.adapter.repeats,
    ...(ctx.adapter.normalize ? { normalize: ctx.adapter.normalize } : {}),
  });
  for (const u of collected.unreadable) {
    printer.warn(`dozhim: ignoring unreadable report ${u.file}: ${u.reason}\n`);
  }
  for (const w of collected.warnings) printer.warn(`dozhim: warning: ${w}\n`);
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
  if (problem) {
    // On a rerun, say what was asked for: a selection the framework rejected (jest's "No tests found"
    // writes no report) is the likeliest cause.
    const asked = selection ? `; the rerun selection was ${describeSelection(selection)}` : '';
    return { ...base, results: [], infrastructure: `${problem}${asked}` };
  }
  const incomplete = ctx.adapter.incomplete?.(result.exitCode);
  if (incomplete) return { ...base, results: [], infrastructure: incomplete };

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
  const { results, missing, counted } = rerunResults(collected.results, selection, (r) =>
    ctx.adapter.unitOf(r),
  );
  if (counted === 0 && selection.length > 0) {
    // Nothing the rerun reported is one of the selected tests (pytest's exit 5 "no tests ran", jest's
    // "No tests found", an empty report): the selection did not reach the framework, which says
    // nothing about the tests. Never "no test passed after retry".
    const why = `the rerun selection matched no test (${collected.results.length} result(s) reported, none selected): ${describeSelection(selection)}`;
    return { ...base, results: [], infrastructure: why };
  }
  if (missing.length > 0) {
    printer.warn(`dozhim: ${missing.length} selected test(s) reported no result; counted as failed\n`);
  }
  return { ...base, results };
}
