import { join } from 'node:path';

/**
 * The one definition of the state directory's layout (`--state-dir`, default `.dozhim`):
 *
 *   <stateDir>/<runId>/attempt-<n>/
 *     junit.xml | junit-<shard>.xml    the report the test command writes (default report path)
 *     tests.txt | tests-<shard>.txt    a rerun's selected ids, one a line (DOZHIM_TESTS_FILE)
 *     results-<shard>.json             the normalized results of one shard (re-upload replaces it)
 *     attempt.json                     threads, selected ids, timestamps, exit code, decision
 *
 * Names are file-system-safe forms (safeSegment) of the run id and the shard.
 */

/** File-system-safe form of a run id or shard name (run ids may contain `/` and `:`). */
export const safeSegment = (s: string): string => s.replace(/[^A-Za-z0-9._@-]/g, '_');

export const runDir = (stateDir: string, runId: string): string => join(stateDir, safeSegment(runId));

export function attemptDir(stateDir: string, runId: string, attempt: number): string {
  return join(runDir(stateDir, runId), `attempt-${attempt}`);
}

/** `attempt-<n>` directory names: the attempt number, or undefined for anything else. */
export function attemptNumberOf(dirName: string): number | undefined {
  const n = /^attempt-(\d+)$/.exec(dirName)?.[1];
  return n === undefined ? undefined : Number(n);
}

/** The default shard keeps the plain name; other shards of one attempt never collide. */
const perShard = (base: string, ext: string, shard: string): string =>
  shard === 'default' ? `${base}.${ext}` : `${base}-${safeSegment(shard)}.${ext}`;

/** `junit.xml`, or `junit-<shard>.xml` so shards of one attempt sharing a state dir never collide. */
export const attemptJUnitPath = (
  stateDir: string,
  runId: string,
  attempt: number,
  shard = 'default',
): string => join(attemptDir(stateDir, runId, attempt), perShard('junit', 'xml', shard));

/** A rerun's selection file, beside its report. */
export const selectionFileName = (shard: string): string => perShard('tests', 'txt', shard);

/** `results-<shard>.json`: one shard's results (always with the shard name, `default` included). */
export const resultsFileName = (shard: string): string => `results-${safeSegment(shard)}.json`;

/** The stored (file-safe) shard name of a results file, or undefined for any other file. */
export const shardOfResultsFile = (fileName: string): string | undefined =>
  /^results-(.+)\.json$/.exec(fileName)?.[1];

export const ATTEMPT_META_FILE = 'attempt.json';
