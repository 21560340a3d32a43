import { type Attempt, runState, type TestResult, type TestStatus } from '@dozhim/core';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/db/migrations.js';
import { openDatabase } from '../../src/db/open.js';
import { AttemptGapError, Repository } from '../../src/db/repository.js';
import { listTests, summarizeRun, type TestRow, toCoreAttempts, toRow } from '../../src/snapshot.js';
import { tempDir } from '../helpers/server.js';

const NOW = '2026-01-01T00:00:00.000Z';
const result = (id: string, status: TestStatus, extra: Partial<TestResult> = {}): TestResult => ({
  id,
  suite: 's',
  classname: id.split('::')[0]!,
  name: id.split('::')[1] ?? id,
  status,
  durationMs: 1,
  properties: {},
  retries: [],
  ...extra,
});

/** Deterministic PRNG so a failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

let tmp: ReturnType<typeof tempDir>;
let db: Database.Database;
let repo: Repository;
beforeEach(() => {
  tmp = tempDir();
  db = openDatabase(`${tmp.dir}/sub/repo.sqlite`);
  repo = new Repository(db);
});
afterEach(() => {
  db.close();
  tmp.cleanup();
});

describe('openDatabase', () => {
  it('uses WAL, foreign keys, a busy timeout and the latest schema version', () => {
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
  });

  it('re-opening migrates nothing twice, and a newer schema is refused', () => {
    db.close();
    db = openDatabase(`${tmp.dir}/sub/repo.sqlite`);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    expect(() => openDatabase(`${tmp.dir}/sub/repo.sqlite`)).toThrow(/newer than this dozhim-reporter knows/);
    db = new Database(':memory:');
  });

  it('the legacy query is answered from the covering index alone', () => {
    const plan = db
      .prepare(
        `EXPLAIN QUERY PLAN SELECT test_id FROM results WHERE run_pk = 1 GROUP BY test_id
         HAVING max(attempt_no * 2 + (status IN ('failed', 'error'))) % 2 = 1 ORDER BY test_id`,
      )
      .all() as { detail: string }[];
    expect(plan.map((p) => p.detail).join('\n')).toMatch(/USING COVERING INDEX results_current/);
  });
});

describe('Repository', () => {
  it('replaceShard is idempotent and atomic: a failing insert leaves the previous shard intact', () => {
    repo.replaceShard('r', 1, 'a', [result('A::1', 'failed'), result('A::2', 'passed')], NOW);
    const again = repo.replaceShard('r', 1, 'a', [result('A::1', 'failed'), result('A::2', 'passed')], NOW);
    expect(again).toEqual({ total: 2, passed: 1, failed: 1, error: 0, skipped: 0 });
    const bad = result('A::3', 'exploded' as TestStatus);
    expect(() => repo.replaceShard('r', 1, 'a', [result('A::1', 'passed'), bad], NOW)).toThrow(
      /CHECK constraint/,
    );
    const { pk } = repo.runKey('r')!;
    expect(repo.results(pk).map((r) => [r.id, r.status])).toEqual([
      ['A::1', 'failed'],
      ['A::2', 'passed'],
    ]);
  });

  it('refuses an attempt whose predecessor is missing, storing nothing', () => {
    expect(() => repo.replaceShard('gap', 2, 'a', [result('A::1', 'failed')], NOW)).toThrow(AttemptGapError);
    expect(repo.runKey('gap')).toBeUndefined();
  });

  it('round-trips every field, with optional ones absent rather than null', () => {
    const full = result('F::x', 'failed', {
      file: 'f.py',
      line: 12,
      message: 'm',
      type: 'T',
      details: 'd',
      stdout: 'o',
      stderr: 'e',
      properties: { k: 'v' },
      retries: [{ kind: 'rerunFailure', message: 'first try' }],
    });
    repo.replaceShard('rt', 1, 's', [full, result('F::y', 'passed')], NOW);
    const [x, y] = repo.results(repo.runKey('rt')!.pk, { full: true });
    expect(x).toEqual({ ...full, attempt: 1, shard: 's' });
    expect(y).toEqual({ ...result('F::y', 'passed'), attempt: 1, shard: 's' });
    expect(Object.keys(y!)).not.toContain('message');
  });

  it('failingIds (SQL) equals core runState().failing on random multi-attempt, multi-shard runs', () => {
    const statuses: TestStatus[] = ['passed', 'failed', 'error', 'skipped'];
    for (let seed = 1; seed <= 25; seed++) {
      const rand = rng(seed);
      const runId = `prop-${seed}`;
      const ids = Array.from({ length: 40 }, (_, i) => `C${i % 3}::t${i}`);
      let selected = ids;
      for (let attempt = 1; attempt <= 3 && selected.length > 0; attempt++) {
        const shards = 1 + Math.floor(rand() * 3);
        for (let s = 0; s < shards; s++) {
          // Some ids land in two shards of one attempt (a duplicated test), with different outcomes.
          const mine = selected.filter(() => rand() < 0.6);
          repo.replaceShard(
            runId,
            attempt,
            `s${s}`,
            mine.map((id) => result(id, statuses[Math.floor(rand() * 4)]!)),
            NOW,
          );
        }
        const { pk } = repo.runKey(runId)!;
        selected = repo.failingIds(pk);
      }
      const { pk } = repo.runKey(runId)!;
      const attempts: Attempt[] = toCoreAttempts(repo.attempts(pk), repo.shards(pk), repo.results(pk));
      expect(repo.failingIds(pk), `seed ${seed}`).toEqual(runState(attempts).failing);
      expect(summarizeRun(repo.attempts(pk), repo.shards(pk), repo.results(pk)).current.failing).toEqual(
        repo.failingIds(pk),
      );
    }
  });

  it('attemptPage (SQL keyset) pages through exactly what listTests gives for that attempt', () => {
    const statuses: TestStatus[] = ['passed', 'failed', 'error', 'skipped'];
    const rand = rng(7);
    const ids = Array.from({ length: 60 }, (_, i) => `C${i % 4}::t${String(i).padStart(2, '0')}`);
    for (let attempt = 1; attempt <= 2; attempt++) {
      for (const shard of ['1/3', '2/3', '3/3']) {
        const mine = ids.filter(() => rand() < 0.5);
        repo.replaceShard(
          'paged',
          attempt,
          shard,
          mine.map((id) => result(id, statuses[Math.floor(rand() * 4)]!)),
          NOW,
        );
      }
    }
    const { pk } = repo.runKey('paged')!;
    const attempts = toCoreAttempts(repo.attempts(pk), repo.shards(pk), repo.results(pk));
    for (const filter of ['all', 'failed', 'passed'] as const) {
      for (const attempt of [1, 2]) {
        const expected = listTests(attempts, { status: filter, attempt, limit: 1000 }).data;
        const got: TestRow[] = [];
        let after: [string, string] | undefined;
        for (let page = 0; page < 100; page++) {
          const rows = repo.attemptPage({ runPk: pk, attempt, filter, after, limit: 7 }).map(toRow);
          got.push(...rows);
          if (rows.length < 7) break;
          after = [rows[6]!.id, rows[6]!.shard];
        }
        expect(got, `${filter} attempt ${attempt}`).toEqual(expected);
        expect(got.length).toBeGreaterThan(0);
      }
    }
  });

  it('lists runs newest first with a keyset cursor and filters', () => {
    for (let i = 1; i <= 5; i++) repo.upsertRun(`run-${i}`, { project: i % 2 ? 'odd' : 'even' }, NOW);
    const p1 = repo.listRuns({ limit: 2 });
    expect(p1.runs.map((r) => r.id)).toEqual(['run-5', 'run-4']);
    const p2 = repo.listRuns({ limit: 2, before: p1.next! });
    expect(p2.runs.map((r) => r.id)).toEqual(['run-3', 'run-2']);
    expect(repo.listRuns({ limit: 10, project: 'odd' }).runs.map((r) => r.id)).toEqual([
      'run-5',
      'run-3',
      'run-1',
    ]);
  });
});
