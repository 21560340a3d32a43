import { type Attempt, countStatuses, isFailure, type RunState, runState } from '@dozhim/core';
import { type AttemptSummary, type RunProgress, type TestRow, toTestRow } from '@dozhim/core/wire';
import type { AttemptRecord, ShardRecord, StoredResult } from './db/repository.js';
import { dedupeById } from './dedupe.js';

export type { AttemptSummary, RunProgress, TestRow } from '@dozhim/core/wire';

/**
 * Pure views of a run's stored data: the core Attempt list, per-attempt counts, the current state
 * and the paged test listing. The hot legacy query has its own SQL in the repository; a test checks
 * that both agree.
 */

/** A core Attempt whose results know their shard. */
export interface ShardedAttempt extends Attempt {
  results: StoredResult[];
}

export { dedupeById };

/**
 * Core attempts: those with at least one uploaded shard, even an empty one (`<testsuites/>` is a valid
 * report: the attempt ran and reported nothing). An attempt created by PATCH alone says nothing yet.
 */
export function toCoreAttempts(
  records: readonly AttemptRecord[],
  shards: readonly Pick<ShardRecord, 'attempt'>[],
  results: readonly StoredResult[],
): ShardedAttempt[] {
  const byAttempt = new Map<number, StoredResult[]>(shards.map((s) => [s.attempt, []]));
  for (const r of results) byAttempt.get(r.attempt)?.push(r);
  const threads = new Map(records.map((a) => [a.attempt, a.threads]));
  return [...byAttempt.keys()]
    .sort((a, b) => a - b)
    .map((number) => {
      const t = threads.get(number);
      return { number, ...(t != null ? { threads: t } : {}), results: byAttempt.get(number)! };
    });
}

export function summarizeRun(
  records: readonly AttemptRecord[],
  shards: readonly ShardRecord[],
  results: readonly StoredResult[],
): RunProgress {
  const attempts = toCoreAttempts(records, shards, results);
  const byNumber = new Map(attempts.map((a) => [a.number, a.results]));
  const summaries = records.map((rec): AttemptSummary => {
    const rs = byNumber.get(rec.attempt) ?? [];
    return {
      ...rec,
      counts: countStatuses(dedupeById(rs)),
      shards: shards
        .filter((s) => s.attempt === rec.attempt)
        .map((s) => ({
          name: s.name,
          uploadedAt: s.uploadedAt,
          counts: countStatuses(rs.filter((r) => r.shard === s.name)),
        })),
    };
  });
  const state = runState(attempts);
  const totals = {
    ...countStatuses([...state.tests.values()].map((t) => t.latest)),
    flaky: state.flaky.length,
  };
  return { attempts: summaries, current: { failing: state.failing, flaky: state.flaky, totals } };
}

export type TestFilter = 'failed' | 'flaky' | 'passed' | 'all';

export interface TestQuery {
  status: TestFilter;
  attempt?: number | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** A stored result as GET /tests lists it: the wire contract's mapper. */
export const toRow: (r: StoredResult) => TestRow = toTestRow;

/** Opaque keyset cursor: the (id, shard) of the last row of the previous page. */
export const encodeCursor = (row: Pick<TestRow, 'id' | 'shard'>): string =>
  Buffer.from(JSON.stringify([row.id, row.shard])).toString('base64url');

export function decodeCursor(cursor: string): [string, string] | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'string')
      ? [v[0] as string, v[1] as string]
      : undefined;
  } catch {
    return undefined;
  }
}

const compareKey = (a: TestRow, b: TestRow): number =>
  a.id < b.id ? -1 : a.id > b.id ? 1 : a.shard < b.shard ? -1 : a.shard > b.shard ? 1 : 0;

/** Passed, but failed before: in an earlier attempt (per `state`) or as retry evidence inside the report. */
function wasFlaky(r: StoredResult, state: RunState, attempt: number): boolean {
  if (r.status !== 'passed') return false;
  if (r.retries.length > 0) return true;
  const t = state.tests.get(r.id);
  return t?.history.some((h) => h.attempt < attempt && isFailure(h.result.status)) ?? false;
}

/**
 * GET /runs/:runId/tests. Without `attempt`: each test's current record (latest attempt that ran it;
 * a failing shard wins); with `attempt`: every record of that attempt. Sorted by id then shard.
 */
export function listTests(
  attempts: readonly ShardedAttempt[],
  q: TestQuery,
): { data: TestRow[]; nextCursor: string | null } {
  const state = runState(attempts);
  let candidates: { r: StoredResult; flaky: boolean }[];
  if (q.attempt === undefined) {
    candidates = [...state.tests.values()].map((t) => ({ r: t.latest as StoredResult, flaky: t.flaky }));
  } else {
    const results = attempts.find((a) => a.number === q.attempt)?.results ?? [];
    candidates = results.map((r) => ({ r, flaky: wasFlaky(r, state, q.attempt!) }));
  }
  const keep = ({ r, flaky }: { r: StoredResult; flaky: boolean }): boolean =>
    q.status === 'all' ||
    (q.status === 'failed' && isFailure(r.status)) ||
    (q.status === 'passed' && r.status === 'passed') ||
    (q.status === 'flaky' && flaky);
  const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
  const rows = candidates
    .filter(keep)
    .map((c) => toRow(c.r))
    .filter((row) => !after || compareKey(row, { id: after[0], shard: after[1] } as TestRow) > 0)
    .sort(compareKey);
  const page = rows.slice(0, q.limit);
  return { data: page, nextCursor: rows.length > q.limit ? encodeCursor(page[page.length - 1]!) : null };
}
