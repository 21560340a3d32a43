import { STATUS_SEVERITY, type TestResult, type TestStatus } from '@dozhim/core';
import type { AttemptPatch, AttemptRecord, RunRecord, StoredDecision, StoredResult } from './records.js';

/** Row shapes of the SQLite tables and their mapping to the records the API returns. */

export interface RunRow {
  pk: number;
  run_id: string;
  project: string | null;
  branch: string | null;
  commit_sha: string | null;
  ci_url: string | null;
  labels: string;
  try: number;
  superseded_by: number | null;
  created_at: string;
  updated_at: string;
}

export interface AttemptRow {
  pk: number;
  number: number;
  threads: number | null;
  selected_count: number | null;
  started_at: string | null;
  finished_at: string | null;
  exit_code: number | null;
  decision: string | null;
  shard_total: number | null;
}

export interface ResultRow {
  attempt_no: number;
  shard: string;
  test_id: string;
  /** The test's identity as stored in `tests` (encoded, see encodeTestIdentity). */
  t_suite: string | null;
  t_classname: string | null;
  t_name: string | null;
  /** The record's own identity where it differs from its test's, else NULL. */
  suite: string | null;
  classname: string | null;
  name: string | null;
  file: string | null;
  line: number | null;
  /** STATUS_SEVERITY of the status (statusOf maps it back). */
  status: number;
  duration_ms: number;
  message: string | null;
  type: string | null;
  details?: string | null;
  stdout?: string | null;
  stderr?: string | null;
  properties?: string | null;
  retries: string | null;
}

export const toRun = (r: RunRow): RunRecord => ({
  id: r.run_id,
  project: r.project,
  branch: r.branch,
  commit: r.commit_sha,
  ciUrl: r.ci_url,
  labels: JSON.parse(r.labels) as Record<string, string>,
  try: r.try,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const toAttempt = (a: AttemptRow): AttemptRecord => ({
  attempt: a.number,
  threads: a.threads,
  selectedCount: a.selected_count,
  startedAt: a.started_at,
  finishedAt: a.finished_at,
  exitCode: a.exit_code,
  decision: a.decision === null ? null : (JSON.parse(a.decision) as StoredDecision),
  shardTotal: a.shard_total,
});

function parseProperties(json: string, cache?: Map<string, Record<string, string>>): Record<string, string> {
  let p = cache?.get(json);
  if (!p) {
    p = JSON.parse(json) as Record<string, string>;
    cache?.set(json, p);
  }
  return p;
}

/** results.status is the status's STATUS_SEVERITY (core): one byte, and max() is the most severe. */
export const severityOf = (s: TestStatus): number => STATUS_SEVERITY[s];
const BY_SEVERITY: readonly TestStatus[] = ['skipped', 'passed', 'failed', 'error'];
export const statusOf = (severity: number): TestStatus => BY_SEVERITY[severity]!;

/** What identifies a test in a run: stored once per (run, test id) in `tests`. */
export interface TestIdentity {
  suite: string;
  classname: string;
  name: string;
}

/**
 * The `tests` row's columns for an identity, so the common case stores the id only: classname and
 * name NULL when the id is `classname::name` and the id's first `::` ends the classname (core testId
 * of a test without file or project), which is what decodeTestIdentity splits at; suite NULL when
 * equal to the classname. decodeTestIdentity is its exact inverse: a classname that contains `::`,
 * or ends in `:` (`Login:` + `::` + `works` is `Login:::works`, whose first `::` ends `Login`), is
 * stored as given.
 */
export function encodeTestIdentity(
  id: string,
  t: TestIdentity,
): { suite: string | null; classname: string | null; name: string | null } {
  // id === `${classname}::${name}`, without building the string (this runs once per stored row).
  const c = t.classname;
  const derived =
    id.length === c.length + 2 + t.name.length &&
    id.charCodeAt(c.length) === 58 &&
    id.charCodeAt(c.length + 1) === 58 &&
    id.startsWith(c) &&
    id.endsWith(t.name) &&
    id.indexOf('::') === c.length;
  return {
    suite: t.suite === t.classname ? null : t.suite,
    classname: derived ? null : t.classname,
    name: derived ? null : t.name,
  };
}

export function decodeTestIdentity(
  id: string,
  suite: string | null,
  classname: string | null,
  name: string | null,
): TestIdentity {
  if (classname === null || name === null) {
    const i = id.indexOf('::');
    classname = id.slice(0, i);
    name = id.slice(i + 2);
  }
  return { suite: suite ?? classname, classname, name };
}

const opt = (v: string | null | undefined): string | undefined =>
  v === null || v === undefined ? undefined : v;

/** `parsed` caches property sets by their JSON, so rows of one suite share one parsed object. */
export function toResult(r: ResultRow, parsed?: Map<string, Record<string, string>>): StoredResult {
  const test = decodeTestIdentity(r.test_id, r.t_suite, r.t_classname, r.t_name);
  const result: StoredResult = {
    id: r.test_id,
    suite: r.suite ?? test.suite,
    classname: r.classname ?? test.classname,
    name: r.name ?? test.name,
    status: statusOf(r.status),
    durationMs: r.duration_ms,
    properties: r.properties ? parseProperties(r.properties, parsed) : {},
    retries: r.retries ? (JSON.parse(r.retries) as TestResult['retries']) : [],
    attempt: r.attempt_no,
    shard: r.shard,
  };
  // Optional fields stay absent rather than undefined-valued, like the JUnit reader's output.
  const optional = {
    file: opt(r.file),
    message: opt(r.message),
    type: opt(r.type),
    details: opt(r.details),
    stdout: opt(r.stdout),
    stderr: opt(r.stderr),
  };
  for (const [k, v] of Object.entries(optional))
    if (v !== undefined) (result as unknown as Record<string, string>)[k] = v;
  if (r.line !== null) result.line = r.line;
  return result;
}

export const jsonOrNull = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));
export const emptyToNull = (o: Record<string, unknown> | unknown[] | undefined): string | null =>
  o === undefined || (Array.isArray(o) ? o.length === 0 : Object.keys(o).length === 0)
    ? null
    : JSON.stringify(o);

/** SQL.UPDATE_ATTEMPT's parameters in order (both backends): a field not in the patch keeps its value. */
export const updateAttemptParams = (patch: AttemptPatch, now: string, pk: number) =>
  [
    patch.threads ?? null,
    patch.selectedCount ?? null,
    patch.startedAt ?? null,
    patch.finishedAt ?? null,
    patch.exitCode ?? null,
    jsonOrNull(patch.decision),
    patch.shardTotal ?? null,
    now,
    pk,
  ] as const;
