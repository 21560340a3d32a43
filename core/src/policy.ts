import type { Attempt, TestResult } from './model.js';
import { type RunState, runState, statusBefore } from './state.js';

/** `40` = more than 40 failed tests stop; `{percent: 10}` = more than 10% of the first attempt's tests. */
export type MaxFailed = { kind: 'count'; value: number } | { kind: 'percent'; value: number };

/** `halve` = previous threads / 2 (floored at minThreads); `list` = explicit threads per attempt. */
export type ThreadsSchedule = { kind: 'halve' } | { kind: 'list'; threads: number[] };

export interface PolicyOptions {
  /** Total attempts including the first. */
  maxRuns: number;
  maxFailed: MaxFailed;
  /** After a rerun, stop when no test that was failing before it passed. */
  stopOnNoProgress: boolean;
  /** Threads of the first attempt. */
  threads: number;
  schedule: ThreadsSchedule;
  minThreads: number;
  /** When non-empty, only failures whose message or type matches one of these are retried. */
  retryOn: RegExp[];
  /** Test ids whose failures are reported but never fail the run and are never retried. */
  quarantine: ReadonlySet<string>;
}

export const DEFAULT_POLICY: PolicyOptions = {
  maxRuns: 3,
  maxFailed: { kind: 'count', value: 40 },
  stopOnNoProgress: true,
  threads: 1,
  schedule: { kind: 'halve' },
  minThreads: 1,
  retryOn: [],
  quarantine: new Set(),
};

export type DecisionAction = 'finish' | 'retry' | 'terminate';

export type DecisionReason =
  /** Nothing (that counts) is failing. */
  | 'all-passed'
  /** Failing tests remain and another attempt is allowed. */
  | 'retry'
  /** More failed tests than maxFailed after an attempt: a global problem, retrying cannot help. */
  | 'too-many-failed'
  /** A rerun made no test that was failing before it pass. */
  | 'no-progress'
  /** The run budget is spent and tests are still failing. */
  | 'max-runs'
  /** Tests are failing but none of them may be retried (retryOn did not match). */
  | 'nothing-retryable';

export type Outcome = 'passed' | 'flaky' | 'failed';

export interface Decision {
  action: DecisionAction;
  reason: DecisionReason;
  /** Human line in the words of today's pipelines: `FINISHED`, `TERMINATED - too many failed tests: 57 > 40`. */
  line: string;
  /** Number of the attempt this decision follows. */
  attempt: number;
  maxRuns: number;
  nextAttempt?: number;
  nextThreads?: number;
  /** Sorted ids to run in the next attempt (empty unless action is retry). */
  testsToRerun: string[];
  outcome: Outcome;
  /** Currently failing, not quarantined: these fail the run. */
  failing: string[];
  /** Passed only after failing. */
  flaky: string[];
  /** Failing tests excluded from retries by retryOn (a subset of `failing`). */
  notRetried: string[];
  /** Quarantined tests that are currently failing (reported, never fail the run). */
  quarantined: string[];
  /** Non-quarantined failures in the latest attempt, and the limit they were compared with. */
  failedInAttempt: number;
  maxFailedLimit: number;
}

/** Parses `40` or `10%`. */
export function parseMaxFailed(input: string | number): MaxFailed {
  const s = String(input).trim();
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(s);
  if (!m) throw new RangeError(`max failed must be a number or a percent like 10%, got "${s}"`);
  const value = Number(m[1]);
  if (m[2] === '%') {
    if (value > 100) throw new RangeError(`max failed percent must be at most 100%, got "${s}"`);
    return { kind: 'percent', value };
  }
  if (!Number.isInteger(value)) throw new RangeError(`max failed count must be a whole number, got "${s}"`);
  return { kind: 'count', value };
}

/** Parses `halve` or a comma list of positive integers like `8,4,2`. */
export function parseThreadsSchedule(input: string): ThreadsSchedule {
  const s = input.trim();
  if (s === 'halve') return { kind: 'halve' };
  const parts = s.split(',').map((p) => p.trim());
  const threads = parts.map(Number);
  if (parts.length === 0 || threads.some((n, i) => parts[i] === '' || !Number.isInteger(n) || n < 1)) {
    throw new RangeError(
      `threads schedule must be "halve" or a list of positive integers like 8,4,2, got "${s}"`,
    );
  }
  return { kind: 'list', threads };
}

/**
 * Threads for a 1-based attempt. `halve`: threads / 2^(n-1), never below minThreads (8→4→2→1→1).
 * `list`: the n-th entry; past the end of the list, its last entry.
 */
export function threadsForAttempt(
  attempt: number,
  options: Pick<PolicyOptions, 'threads' | 'schedule' | 'minThreads'>,
): number {
  const floor = Math.max(1, options.minThreads);
  if (options.schedule.kind === 'list') {
    const list = options.schedule.threads;
    return list[Math.min(attempt, list.length) - 1] ?? floor;
  }
  let threads = options.threads;
  for (let n = 1; n < attempt; n++) threads = halveThreads(threads, options.minThreads);
  return Math.max(floor, threads);
}

/**
 * The one halving rule: half the threads, rounded down (7 → 3 → 1: a rerun never runs with more
 * than half), never below minThreads or 1. `threadsForAttempt` applies it per attempt; `decide`
 * applies it to the threads the latest attempt really used.
 */
export function halveThreads(threads: number, minThreads: number): number {
  return Math.max(1, minThreads, Math.floor(threads / 2));
}

/**
 * The one rule for whether a stored attempt is an attempt to decide on: it reported something, at
 * least one shard (an empty report `<testsuites/>` counts: it ran and reported nothing) or a result.
 * An attempt that was only announced (started, then crashed or was interrupted) does not count.
 */
export function attemptReported(a: { shards: number; results: number }): boolean {
  return a.shards > 0 || a.results > 0;
}

export function maxFailedLimit(maxFailed: MaxFailed, firstAttemptTotal: number): number {
  return maxFailed.kind === 'count' ? maxFailed.value : (maxFailed.value / 100) * firstAttemptTotal;
}

function describeLimit(maxFailed: MaxFailed, limit: number): string {
  if (maxFailed.kind === 'count') return String(maxFailed.value);
  return `${maxFailed.value}% (${Number.isInteger(limit) ? limit : limit.toFixed(1)})`;
}

const matchesRetryOn = (r: TestResult, retryOn: readonly RegExp[]): boolean =>
  retryOn.length === 0 || retryOn.some((re) => re.test(r.message ?? '') || re.test(r.type ?? ''));

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * The retry decision after the latest of `attempts`. Pure: same input, same decision.
 * Checks, in order: nothing failing → FINISHED; too many failed in the latest attempt → TERMINATED;
 * a rerun with no progress → TERMINATED; nothing retryable → FINISHED (failed); budget spent →
 * FINISHED (failed); otherwise retry the failing, retryable tests with the next thread count.
 *
 * `state` is `runState(attempts)` when the caller has it already (the CLI folds once per attempt and
 * passes it along); it must be the fold of exactly these attempts.
 */
export function decide(
  attempts: readonly Attempt[],
  options: Partial<PolicyOptions> = {},
  state: RunState = runState(attempts),
): Decision {
  if (attempts.length === 0) throw new RangeError('decide() needs at least one attempt');
  const o: PolicyOptions = { ...DEFAULT_POLICY, ...options };
  const sorted = [...attempts].sort((a, b) => a.number - b.number);
  const first = sorted[0]!;
  const latest = sorted[sorted.length - 1]!;

  const quarantined = state.failing.filter((id) => o.quarantine.has(id));
  const failing = state.failing.filter((id) => !o.quarantine.has(id));
  const retryable = failing.filter((id) => matchesRetryOn(state.tests.get(id)!.latest, o.retryOn));
  const retryableSet = new Set(retryable);
  const notRetried = failing.filter((id) => !retryableSet.has(id));
  const flaky = state.flaky.filter((id) => !o.quarantine.has(id));

  const failedInAttempt = new Set(
    latest.results
      .filter((r) => (r.status === 'failed' || r.status === 'error') && !o.quarantine.has(r.id))
      .map((r) => r.id),
  ).size;
  const limit = maxFailedLimit(o.maxFailed, new Set(first.results.map((r) => r.id)).size);
  const outcome: Outcome = failing.length > 0 ? 'failed' : flaky.length > 0 ? 'flaky' : 'passed';

  const base = {
    attempt: latest.number,
    maxRuns: o.maxRuns,
    testsToRerun: [] as string[],
    outcome,
    failing,
    flaky,
    notRetried,
    quarantined,
    failedInAttempt,
    maxFailedLimit: limit,
  };

  if (failing.length === 0) {
    const line =
      flaky.length === 0 ? 'FINISHED' : `FINISHED - ${plural(flaky.length, 'flaky test')} passed on rerun`;
    return { ...base, action: 'finish', reason: 'all-passed', line };
  }
  if (failedInAttempt > limit) {
    const line = `TERMINATED - too many failed tests: ${failedInAttempt} > ${describeLimit(o.maxFailed, limit)}`;
    return { ...base, action: 'terminate', reason: 'too-many-failed', line };
  }
  if (sorted.length > 1 && o.stopOnNoProgress) {
    // Progress: a test failing before this attempt passed in it (judged on the folded state, so a
    // test this attempt holds twice counts by its more severe result).
    const progressed = madeProgress(sorted, state);
    if (!progressed) {
      return {
        ...base,
        action: 'terminate',
        reason: 'no-progress',
        line: 'TERMINATED - no test passed after retry',
      };
    }
  }
  if (retryable.length === 0) {
    const line = `FINISHED - ${plural(failing.length, 'test')} failing, none matches --retry-on`;
    return { ...base, action: 'finish', reason: 'nothing-retryable', line };
  }
  if (latest.number >= o.maxRuns) {
    const line = `FINISHED - max runs reached, ${plural(failing.length, 'test')} still failing`;
    return { ...base, action: 'finish', reason: 'max-runs', line };
  }
  const nextAttempt = latest.number + 1;
  const nextThreads =
    o.schedule.kind === 'halve' && latest.threads !== undefined
      ? halveThreads(latest.threads, o.minThreads)
      : threadsForAttempt(nextAttempt, o);
  return {
    ...base,
    action: 'retry',
    reason: 'retry',
    line: `RETRY - ${plural(retryable.length, 'failed test')}, attempt ${nextAttempt}/${o.maxRuns} with ${plural(nextThreads, 'thread')}`,
    nextAttempt,
    nextThreads,
    testsToRerun: retryable,
  };
}

/**
 * Whether a test that was failing before the latest attempt passed in it. "Before" is the fold of
 * every attempt but the latest, read from each test's history (one fold for the whole decision);
 * only when two attempts share the latest number is it folded again (the history cannot tell them apart).
 */
function madeProgress(sorted: readonly Attempt[], state: RunState): boolean {
  const latest = sorted[sorted.length - 1]!;
  if (sorted.length > 1 && sorted[sorted.length - 2]!.number === latest.number) {
    const before = runState(sorted.slice(0, -1));
    return before.failing.some((id) => {
      const t = state.tests.get(id);
      return t?.attempt === latest.number && t.status === 'passed';
    });
  }
  for (const r of latest.results) {
    const t = state.tests.get(r.id);
    if (t === undefined || t.attempt !== latest.number || t.status !== 'passed') continue;
    const was = statusBefore(t, latest.number);
    if (was === 'failed' || was === 'error') return true;
  }
  return false;
}
