import type { TestResult, TestStatus } from '@dozhim/core';
import { describe, expect, it } from 'vitest';
import type { AttemptRecord, StoredResult } from '../../src/db/repository.js';
import {
  decodeCursor,
  dedupeById,
  encodeCursor,
  listTests,
  summarizeRun,
  toCoreAttempts,
} from '../../src/snapshot.js';

const rec = (attempt: number): AttemptRecord => ({
  attempt,
  threads: null,
  selectedCount: null,
  startedAt: null,
  finishedAt: null,
  exitCode: null,
  decision: null,
  shardTotal: null,
});
const r = (
  id: string,
  status: TestStatus,
  attempt: number,
  shard = 'default',
  extra: Partial<TestResult> = {},
): StoredResult => ({
  id,
  suite: 'S',
  classname: id.split('::')[0]!,
  name: id.split('::')[1]!,
  status,
  durationMs: 0,
  properties: {},
  retries: [],
  attempt,
  shard,
  ...extra,
});

describe('dedupeById', () => {
  it('keeps the most severe record per id: error > failed > passed > skipped', () => {
    const out = dedupeById([
      r('A::x', 'passed', 1),
      r('A::x', 'failed', 1),
      r('A::y', 'skipped', 1),
      r('A::y', 'passed', 1),
    ]);
    expect(out.map((t) => [t.id, t.status])).toEqual([
      ['A::x', 'failed'],
      ['A::y', 'passed'],
    ]);
  });
});

describe('summarizeRun', () => {
  it('counts one record per test per attempt, and shows current failing and flaky', () => {
    const results = [
      r('A::x', 'failed', 1, 's1'),
      r('A::x', 'passed', 1, 's2'),
      r('A::y', 'failed', 1, 's1'),
      r('A::z', 'passed', 1, 's2'),
      r('A::x', 'passed', 2),
      r('A::y', 'failed', 2),
    ];
    const shards = [
      { attempt: 1, name: 's1', uploadedAt: 't' },
      { attempt: 1, name: 's2', uploadedAt: 't' },
      { attempt: 2, name: 'default', uploadedAt: 't' },
    ];
    const s = summarizeRun([rec(1), rec(2), rec(3)], shards, results);
    expect(s.attempts.map((a) => a.counts.total)).toEqual([3, 2, 0]);
    expect(s.attempts[0]!.shards.map((x) => x.counts.total)).toEqual([2, 2]);
    expect(s.current).toEqual({
      failing: ['A::y'],
      flaky: ['A::x'],
      totals: { total: 3, passed: 2, failed: 1, error: 0, skipped: 0, flaky: 1 },
    });
  });

  it('core attempts are those with an uploaded shard, even an empty one; not those only PATCHed', () => {
    const attempts = toCoreAttempts(
      [rec(1), rec(2), rec(3)],
      [{ attempt: 1 }, { attempt: 2 }],
      [r('A::x', 'failed', 1)],
    );
    expect(attempts.map((a) => [a.number, a.results.length])).toEqual([
      [1, 1],
      [2, 0],
    ]);
  });
});

describe('listTests', () => {
  const attempts = toCoreAttempts(
    [rec(1), rec(2)],
    [{ attempt: 1 }, { attempt: 2 }],
    [
      r('A::a', 'failed', 1),
      r('A::b', 'failed', 1),
      r('A::c', 'passed', 1),
      r('A::d', 'passed', 1, 'default', { retries: [{ kind: 'rerunFailure' }] }),
      r('A::a', 'passed', 2),
      r('A::b', 'error', 2),
    ],
  );
  const ids = (q: Parameters<typeof listTests>[1]) =>
    listTests(attempts, q).data.map((t) => `${t.id}@${t.attempt}`);

  it('filters the current state', () => {
    expect(ids({ status: 'failed', limit: 10 })).toEqual(['A::b@2']);
    expect(ids({ status: 'flaky', limit: 10 })).toEqual(['A::a@2', 'A::d@1']);
    expect(ids({ status: 'passed', limit: 10 })).toEqual(['A::a@2', 'A::c@1', 'A::d@1']);
    expect(ids({ status: 'all', limit: 10 })).toHaveLength(4);
  });

  it('filters one attempt', () => {
    expect(ids({ status: 'failed', attempt: 1, limit: 10 })).toEqual(['A::a@1', 'A::b@1']);
    expect(ids({ status: 'flaky', attempt: 2, limit: 10 })).toEqual(['A::a@2']);
    expect(ids({ status: 'all', attempt: 3, limit: 10 })).toEqual([]);
  });

  it('pages with an opaque cursor', () => {
    const p1 = listTests(attempts, { status: 'all', limit: 3 });
    expect(p1.data).toHaveLength(3);
    const p2 = listTests(attempts, { status: 'all', limit: 3, cursor: p1.nextCursor! });
    expect(p2).toEqual({ data: [expect.objectContaining({ id: 'A::d' })], nextCursor: null });
    expect(decodeCursor(encodeCursor({ id: 'x::y', shard: '1/2' }))).toEqual(['x::y', '1/2']);
    expect(decodeCursor('not-a-cursor')).toBeUndefined();
  });
});
