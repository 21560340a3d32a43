import type { TestResult, TestStatus } from '@dozhim/core';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open.js';
import { Repository } from '../../src/db/repository.js';
import { deleteRun, expireRuns } from '../../src/db/retention.js';
import { tempDir } from '../helpers/server.js';
import { replaceShard } from '../helpers/shards.js';

// db/retention.ts on a real SQLite file: what goes with a run, what stays, and the cutoff.
const OLD = '2026-01-01T00:00:00.000Z';
const NEW = '2026-06-01T00:00:00.000Z';
const result = (id: string, status: TestStatus, properties: Record<string, string> = {}): TestResult => ({
  id,
  suite: 's',
  classname: id.split('::')[0]!,
  name: id.split('::')[1] ?? id,
  status,
  durationMs: 1,
  properties,
  retries: [],
});

let tmp: ReturnType<typeof tempDir>;
let db: Database.Database;
let repo: Repository;
beforeEach(() => {
  tmp = tempDir();
  db = openDatabase(`${tmp.dir}/retention.sqlite`);
  repo = new Repository(db);
});
afterEach(() => {
  db.close();
  tmp.cleanup();
});

/** A run with two attempts of two shards, written at `now`. */
function seedRun(runId: string, now: string, props: Record<string, string> = {}): void {
  replaceShard(
    repo,
    runId,
    1,
    '1/2',
    [result('a::t1', 'failed', props), result('a::t2', 'passed', props)],
    now,
  );
  replaceShard(repo, runId, 1, '2/2', [result('b::t3', 'error', props)], now);
  replaceShard(repo, runId, 2, 'default', [result('a::t1', 'passed', props)], now);
}

/** Rows of every table that belong to the run id or its history tries (`<id>#try<n>`). */
function rowsOf(runId: string) {
  const pks = db
    .prepare<[string, string], number>('SELECT pk FROM runs WHERE run_id = ? OR run_id GLOB ?')
    .pluck()
    .all(runId, `${runId}#try*`);
  const inList = pks.length ? pks.join(',') : 'NULL';
  const n = (sql: string) => db.prepare(sql).pluck().get() as number;
  return {
    runs: pks.length,
    attempts: n(`SELECT count(*) FROM attempts WHERE run_pk IN (${inList})`),
    shards: n(
      `SELECT count(*) FROM shards WHERE attempt_pk IN (SELECT pk FROM attempts WHERE run_pk IN (${inList}))`,
    ),
    // Both ways a result belongs to the run: its denormalized run_pk, and its shard's attempt.
    results: n(`SELECT count(*) FROM results WHERE run_pk IN (${inList})`),
    tests: n(`SELECT count(*) FROM tests WHERE run_pk IN (${inList})`),
    orphanResults: n('SELECT count(*) FROM results WHERE shard_pk NOT IN (SELECT pk FROM shards)'),
  };
}
const NONE = { runs: 0, attempts: 0, shards: 0, results: 0, tests: 0, orphanResults: 0 };

describe('deleteRun', () => {
  it('removes the run, its history tries, attempts, shards and results; leaves other runs whole', () => {
    seedRun('r1', NEW);
    repo.newTry('r1', NEW); // try 1 moves to history row "r1#try1"
    seedRun('r1', NEW);
    repo.newTry('r1', NEW);
    seedRun('r1', NEW); // now try 3, two history rows
    seedRun('r1.keep', NEW); // an id that r1's history range must not catch
    seedRun('r10', NEW);
    expect(rowsOf('r1')).toEqual({
      runs: 3,
      attempts: 6,
      shards: 9,
      results: 12,
      tests: 9,
      orphanResults: 0,
    });
    const keep = repo.summary(repo.runKey('r1.keep')!.pk);
    const keep10 = repo.summary(repo.runKey('r10')!.pk);

    expect(deleteRun(db, 'r1')).toBe(true);
    expect(rowsOf('r1')).toEqual(NONE);
    expect(repo.runKey('r1')).toBeUndefined();
    expect(repo.summary(repo.runKey('r1.keep')!.pk)).toEqual(keep);
    expect(repo.summary(repo.runKey('r10')!.pk)).toEqual(keep10);
    expect(db.pragma('foreign_key_check')).toEqual([]);
  });

  it('is false for an unknown run and for a history row id, which stays', () => {
    seedRun('r2', NEW);
    repo.newTry('r2', NEW);
    expect(deleteRun(db, 'nope')).toBe(false);
    expect(deleteRun(db, 'r2#try1')).toBe(false);
    expect(rowsOf('r2').runs).toBe(2);
  });

  it('removes everything also on a connection without foreign keys (no cascade to rely on)', () => {
    seedRun('r3', NEW);
    repo.newTry('r3', NEW);
    seedRun('r3', NEW);
    db.pragma('foreign_keys = OFF');
    expect(deleteRun(db, 'r3')).toBe(true);
    expect(rowsOf('r3')).toEqual(NONE);
    for (const table of ['shards', 'attempts', 'results', 'tests', 'runs'])
      expect(db.prepare(`SELECT count(*) FROM ${table}`).pluck().get(), table).toBe(0);
  });

  it('makes the id reusable from attempt 1: attempt 2 without attempt 1 is a gap again', () => {
    seedRun('r4', NEW);
    deleteRun(db, 'r4');
    expect(() => replaceShard(repo, 'r4', 2, 'default', [result('a::t1', 'passed')], NEW)).toThrow(
      /attempt 1/,
    );
    replaceShard(repo, 'r4', 1, 'default', [result('x::fresh', 'failed')], NEW);
    const { pk, run } = repo.runKey('r4')!;
    expect(run.try).toBe(1);
    expect(repo.failingIds(pk)).toEqual(['x::fresh']);
    expect(repo.summary(pk).attempts).toHaveLength(1);
  });

  it('leaves shared property sets in place (documented: no index finds the unreferenced ones)', () => {
    seedRun('p1', NEW, { 'java.version': '17' });
    seedRun('p2', NEW, { 'java.version': '17' });
    const sets = () => db.prepare('SELECT count(*) FROM property_sets').pluck().get();
    expect(sets()).toBe(1);
    deleteRun(db, 'p1');
    expect(sets()).toBe(1);
    // The other run still reads its properties through the shared set.
    const props = repo.results(repo.runKey('p2')!.pk, { full: true }).map((r) => r.properties);
    expect(props.every((p) => p['java.version'] === '17')).toBe(true);
  });
});

describe('expireRuns', () => {
  it('removes only runs last written before the cutoff, oldest first, at most `limit` per call', () => {
    seedRun('old-a', '2026-01-01T00:00:00.000Z');
    seedRun('old-b', '2026-01-02T00:00:00.000Z');
    seedRun('old-c', '2026-01-03T00:00:00.000Z');
    seedRun('edge', '2026-02-01T00:00:00.000Z'); // exactly at the cutoff: kept (strictly before)
    seedRun('touched', OLD);
    repo.upsertRun('touched', { branch: 'main' }, NEW); // created long ago, written recently: kept
    seedRun('fresh', NEW);
    const cutoff = '2026-02-01T00:00:00.000Z';

    expect(expireRuns(db, cutoff, 2)).toBe(2);
    expect(repo.runKey('old-a')).toBeUndefined();
    expect(repo.runKey('old-b')).toBeUndefined();
    expect(repo.runKey('old-c')).toBeDefined();
    expect(expireRuns(db, cutoff, 2)).toBe(1);
    expect(expireRuns(db, cutoff, 2)).toBe(0);
    expect(
      repo
        .listRuns({ limit: 10 })
        .runs.map((r) => r.id)
        .sort(),
    ).toEqual(['edge', 'fresh', 'touched']);
    for (const id of ['old-a', 'old-b', 'old-c']) expect(rowsOf(id)).toEqual(NONE);
  });

  it('takes history tries with their run and judges the run by its current row only', () => {
    seedRun('h1', OLD);
    repo.newTry('h1', OLD);
    seedRun('h1', OLD);
    // h2's history row is old, but the run itself was written recently: all of it stays.
    seedRun('h2', OLD);
    repo.newTry('h2', OLD);
    seedRun('h2', NEW);
    expect(expireRuns(db, '2026-03-01T00:00:00.000Z', 10)).toBe(1);
    expect(rowsOf('h1')).toEqual(NONE);
    expect(rowsOf('h2')).toMatchObject({ runs: 2, attempts: 4, results: 8 });
  });

  it('stops a batch before the run that would take it past maxResults, but always takes one run', () => {
    for (const id of ['b1', 'b2', 'b3']) seedRun(id, OLD); // 4 results each
    repo.newTry('b3', OLD);
    seedRun('b3', OLD); // 8 with its history try
    expect(expireRuns(db, NEW, 10, 5)).toBe(1);
    expect(repo.runKey('b1')).toBeUndefined();
    expect(expireRuns(db, NEW, 10, 7)).toBe(1); // b2 (4); b3 (8) would make 12
    expect(expireRuns(db, NEW, 10, 7)).toBe(1); // b3 alone is over the cap: taken, as the first
    expect(rowsOf('b3')).toEqual(NONE);
    expect(expireRuns(db, NEW, 10, 7)).toBe(0);
    for (const id of ['c1', 'c2', 'c3']) seedRun(id, OLD);
    expect(expireRuns(db, NEW, 10, 12)).toBe(3); // exactly at the cap: all three
  });

  it('with limit 0 removes nothing', () => {
    seedRun('z', OLD);
    expect(expireRuns(db, NEW, 0)).toBe(0);
    expect(repo.runKey('z')).toBeDefined();
  });

  it('finds history tries through an index, not a scan of runs (delete cost does not grow with the table)', () => {
    const plan = db
      .prepare(
        "EXPLAIN QUERY PLAN SELECT pk FROM runs WHERE run_id > 'a#try' AND run_id < 'a#trz' AND superseded_by = 1",
      )
      .all() as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/USING (COVERING )?INDEX/);
    // The foreign key check of a deleted run looks for rows with superseded_by = its pk.
    const fk = db.prepare('EXPLAIN QUERY PLAN SELECT 1 FROM runs WHERE superseded_by = 1').all() as {
      detail: string;
    }[];
    expect(fk.map((p) => p.detail).join(' ')).toMatch(/runs_superseded/);
  });
});
