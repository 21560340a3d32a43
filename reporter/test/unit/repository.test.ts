import { type Attempt, runState, type TestResult, type TestStatus } from '@dozhim/core';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/db/migrations.js';
import { openDatabase } from '../../src/db/open.js';
import { AttemptGapError, Repository } from '../../src/db/repository.js';
import { listTests, summarizeRun, type TestRow, toCoreAttempts, toRow } from '../../src/snapshot.js';
import { checkResultCaps, ResultCapError } from '../../src/truncate.js';
import { tempDir } from '../helpers/server.js';
import { mergeShard, replaceShard } from '../helpers/shards.js';

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

  it('every hot read is answered from an index (EXPLAIN QUERY PLAN): partial ones for the failing set', () => {
    const plans = repo.hotQueryPlans();
    // The failing set reads only failing rows, then seeks once per row for a later attempt.
    expect(plans.failingIds!.join('\n')).toMatch(
      /SEARCH f USING COVERING INDEX results_failing \(run_pk=\?\)/,
    );
    expect(plans.failingIds!.join('\n')).toMatch(
      /SEARCH l USING COVERING INDEX results_current \(run_pk=\? AND test_pk=\? AND attempt_no>\?\)/,
    );
    expect(plans.everFailedIds!.join('\n')).toMatch(/COVERING INDEX results_failing/);
    expect(plans.evidenceIds!.join('\n')).toMatch(/INDEX results_evidence/);
    // Counts: one ordered scan of the covering index, never the table.
    for (const name of ['attemptCounts', 'currentCounts'])
      expect(plans[name]!.join('\n'), name).toMatch(
        /SEARCH r USING COVERING INDEX results_current \(run_pk=\?\)/,
      );
    // An attempt's page walks the run's tests in id order from the cursor, one seek per test.
    expect(plans.attemptPage!.join('\n')).toMatch(
      /SEARCH t USING INDEX sqlite_autoindex_tests_1 \(run_pk=\? AND test_id>\?\)/,
    );
    expect(plans.attemptPage!.join('\n')).toMatch(
      /SEARCH r USING INDEX results_current \(run_pk=\? AND test_pk=\? AND attempt_no=\?\)/,
    );
    for (const [name, lines] of Object.entries(plans))
      expect(lines.join('\n'), name).not.toMatch(/^SCAN (results|r|f|l|s|a)\b/m);
  });
});

describe('Repository', () => {
  it('replaceShard is idempotent and atomic: a failing insert leaves the previous shard intact', () => {
    replaceShard(repo, 'r', 1, 'a', [result('A::1', 'failed'), result('A::2', 'passed')], NOW);
    const again = replaceShard(repo, 'r', 1, 'a', [result('A::1', 'failed'), result('A::2', 'passed')], NOW);
    expect(again).toEqual({ total: 2, passed: 1, failed: 1, error: 0, skipped: 0 });
    const bad = result('A::3', 'exploded' as TestStatus);
    expect(() => replaceShard(repo, 'r', 1, 'a', [result('A::1', 'passed'), bad], NOW)).toThrow(
      /constraint failed: results.status/,
    );
    const { pk } = repo.runKey('r')!;
    expect(repo.results(pk).map((r) => [r.id, r.status])).toEqual([
      ['A::1', 'failed'],
      ['A::2', 'passed'],
    ]);
  });

  it("uniqueIds (the reader's results) skips the fold, not the check: a duplicate id is refused whole", () => {
    replaceShard(repo, 'u', 1, 'a', [result('A::1', 'failed')], NOW);
    const dup = [result('A::1', 'failed'), result('A::1', 'passed')];
    expect(() =>
      repo.writeShard({ runId: 'u', attempt: 1, shard: 'a', now: NOW, uniqueIds: true }, dup, 'replace'),
    ).toThrow(/UNIQUE constraint failed/);
    // The shard still holds its earlier failure; without the flag the pair folds to the failure.
    const { pk } = repo.runKey('u')!;
    expect(repo.results(pk).map((r) => [r.id, r.status])).toEqual([['A::1', 'failed']]);
    replaceShard(repo, 'u', 1, 'a', dup.slice().reverse(), NOW);
    expect(repo.results(pk).map((r) => [r.id, r.status])).toEqual([['A::1', 'failed']]);
  });

  it('refuses an attempt whose predecessor is missing, storing nothing', () => {
    expect(() => replaceShard(repo, 'gap', 2, 'a', [result('A::1', 'failed')], NOW)).toThrow(AttemptGapError);
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
    replaceShard(repo, 'rt', 1, 's', [full, result('F::y', 'passed')], NOW);
    const [x, y] = repo.results(repo.runKey('rt')!.pk, { full: true });
    expect(x).toEqual({ ...full, attempt: 1, shard: 's' });
    expect(y).toEqual({ ...result('F::y', 'passed'), attempt: 1, shard: 's' });
    expect(Object.keys(y!)).not.toContain('message');
  });

  it('stores each test identity once per run and reads every record back exactly, also when it differs', () => {
    const rows: TestResult[] = [
      // core testId of a test without file: the id says classname and name, only the id is stored
      result('com.x.OrderTest::shouldPay', 'passed', { suite: 'com.x.OrderTest' }),
      // suite differs from classname; a name with '::' in it (the id's first '::' ends the classname)
      result('a.B::c::d', 'failed', { suite: 'Suite B', classname: 'a.B', name: 'c::d' }),
      // looks derived but is not: the classname has '::', so the first '::' of the id is not its end
      result('crate::mod::t', 'passed', { suite: 'crate::mod', classname: 'crate::mod', name: 't' }),
      // an id that says nothing about the names (JSON API), astral and combining characters
      result('opaque-id-1', 'error', { suite: 's\u{1F600}', classname: 'K\u0301', name: 'n\u{1F600}' }),
      // empty classname
      result('::bare', 'skipped', { suite: '', classname: '', name: 'bare' }),
      // a classname ending in ':' — the id's first '::' ends at `Login`, not at `Login:`
      result('Login:::works', 'failed', { suite: 'Login:', classname: 'Login:', name: 'works' }),
    ];
    replaceShard(repo, 'ident', 1, 'a', rows, NOW);
    // The same ids again in another shard and attempt, with other identities: kept per record.
    const other = rows.map((r) => ({
      ...r,
      suite: `${r.suite}!`,
      classname: `${r.classname}!`,
      name: `${r.name}!`,
    }));
    replaceShard(repo, 'ident', 1, 'b', other.slice(0, 3), NOW);
    replaceShard(repo, 'ident', 2, 'a', [rows[0]!, other[3]!], NOW);
    const { pk } = repo.runKey('ident')!;
    const key = (r: { attempt: number; shard: string; id: string }) => `${r.attempt}/${r.shard}/${r.id}`;
    const expected = new Map<string, TestResult>();
    for (const r of rows) expected.set(key({ attempt: 1, shard: 'a', id: r.id }), r);
    for (const r of other.slice(0, 3)) expected.set(key({ attempt: 1, shard: 'b', id: r.id }), r);
    expected.set(key({ attempt: 2, shard: 'a', id: rows[0]!.id }), rows[0]!);
    expected.set(key({ attempt: 2, shard: 'a', id: other[3]!.id }), other[3]!);
    const stored = repo.results(pk, { full: true });
    expect(stored).toHaveLength(expected.size);
    for (const r of stored) {
      const { attempt, shard, ...rest } = r;
      expect(rest, key(r)).toEqual(expected.get(key(r)));
    }
    // One tests row per id; the common case keeps no classname, name or suite of its own.
    const tests = db
      .prepare('SELECT test_id, suite, classname, name FROM tests WHERE run_pk = ? ORDER BY test_id')
      .all(pk);
    expect(tests).toHaveLength(rows.length);
    expect(tests).toContainEqual({
      test_id: 'com.x.OrderTest::shouldPay',
      suite: null,
      classname: null,
      name: null,
    });
    expect(tests).toContainEqual({
      test_id: 'crate::mod::t',
      suite: null,
      classname: 'crate::mod',
      name: 't',
    });
    // The attempt page, the failing set and the report read the same identities.
    expect(repo.attemptPage({ runPk: pk, attempt: 1, filter: 'all', limit: 100 }).map((r) => r.name)).toEqual(
      ['bare', 'works', 'c::d', 'c::d!', 'shouldPay', 'shouldPay!', 't', 't!', 'n\u{1F600}'],
    );
    expect(repo.failingIds(pk)).toEqual(['Login:::works', 'a.B::c::d', 'opaque-id-1']);
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
          replaceShard(
            repo,
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

  it('summary() (SQL) equals summarizeRun() (core runState fold) on random runs, with evidence and empty attempts', () => {
    const statuses: TestStatus[] = ['passed', 'failed', 'error', 'skipped'];
    for (let seed = 1; seed <= 30; seed++) {
      const rand = rng(1000 + seed);
      const runId = `sum-${seed}`;
      const ids = Array.from({ length: 30 }, (_, i) => `C${i % 3}::t${i}`);
      let selected = ids;
      const attempts = 1 + Math.floor(rand() * 4);
      for (let attempt = 1; attempt <= attempts; attempt++) {
        const shards = Math.floor(rand() * 3); // 0: an attempt announced by PATCH only
        if (shards === 0) repo.patchAttempt(runId, attempt, { threads: 2 }, NOW);
        for (let s = 0; s < shards; s++) {
          const mine = selected.filter(() => rand() < 0.6);
          const rows = mine.map((id) =>
            result(id, statuses[Math.floor(rand() * 4)]!, {
              retries: rand() < 0.15 ? [{ kind: 'flakyFailure', message: 'earlier try' }] : [],
            }),
          );
          // Some shards arrive as JSON batches (upserts) in two halves, some replace.
          if (rand() < 0.3) {
            mergeShard(repo, runId, attempt, `s${s}`, rows.slice(0, rows.length >> 1), NOW);
            mergeShard(repo, runId, attempt, `s${s}`, rows.slice(rows.length >> 1), NOW);
          } else replaceShard(repo, runId, attempt, `s${s}`, rows, NOW);
        }
        const { pk } = repo.runKey(runId)!;
        if (rand() < 0.5) selected = repo.failingIds(pk);
      }
      const { pk } = repo.runKey(runId)!;
      const expected = summarizeRun(repo.attempts(pk), repo.shards(pk), repo.results(pk));
      expect(repo.summary(pk), `seed ${seed}`).toEqual(expected);
    }
  });

  it('summary() keeps a failure visible: a fail in one shard beats a pass in another, a later pass makes it flaky', () => {
    replaceShard(repo, 'vis', 1, 'a', [result('A::x', 'passed'), result('A::y', 'failed')], NOW);
    replaceShard(repo, 'vis', 1, 'b', [result('A::x', 'error')], NOW);
    const { pk } = repo.runKey('vis')!;
    let s = repo.summary(pk);
    expect(s.current.failing).toEqual(['A::x', 'A::y']);
    expect(s.attempts[0]!.counts).toEqual({ total: 2, passed: 0, failed: 1, error: 1, skipped: 0 });
    // A rerun that passes only one of them: the other stays failing, the first is flaky, not passed-clean.
    replaceShard(repo, 'vis', 2, 'a', [result('A::x', 'passed')], NOW);
    s = repo.summary(pk);
    expect(s.current.failing).toEqual(['A::y']);
    expect(s.current.flaky).toEqual(['A::x']);
    expect(s.current.totals).toEqual({ total: 2, passed: 1, failed: 1, error: 0, skipped: 0, flaky: 1 });
    // A rerun that skips a failed test does not make it pass: it is flaky-not-failing (as runState says).
    replaceShard(repo, 'vis', 3, 'a', [result('A::y', 'skipped')], NOW);
    expect(repo.summary(pk).current).toEqual(
      summarizeRun(repo.attempts(pk), repo.shards(pk), repo.results(pk)).current,
    );
  });

  it('stores each distinct property set once and reads back the same properties', () => {
    const suiteProps = Object.fromEntries(
      Array.from({ length: 60 }, (_, i) => [`p${i}`, `value ${i}`.repeat(50)]),
    );
    const rows = Array.from({ length: 200 }, (_, i) =>
      result(`P::t${i}`, 'passed', {
        // Equal copies (as the reader makes), and a few tests with their own extra property.
        properties: i % 50 === 0 ? { ...suiteProps, own: String(i) } : { ...suiteProps },
      }),
    );
    replaceShard(repo, 'props', 1, 'a', rows, NOW);
    replaceShard(repo, 'props', 1, 'b', rows.slice(0, 10), NOW);
    expect(db.prepare('SELECT count(*) AS n FROM property_sets').get()).toEqual({ n: 5 });
    expect(db.prepare('SELECT count(*) AS n FROM results WHERE properties IS NOT NULL').get()).toEqual({
      n: 0,
    });
    const { pk } = repo.runKey('props')!;
    const back = repo.results(pk, { full: true }).filter((r) => r.shard === 'a');
    const byId = new Map(back.map((r) => [r.id, r.properties]));
    expect(back).toHaveLength(rows.length);
    for (const r of rows) expect(byId.get(r.id), r.id).toEqual(r.properties);
    // A test without properties gets none (not some other test's set).
    replaceShard(repo, 'props', 1, 'c', [result('P::bare', 'passed')], NOW);
    expect(repo.results(pk, { full: true }).find((r) => r.id === 'P::bare')!.properties).toEqual({});
    // Neighbours that differ only in one value, or in one key of the same count, or lose a key, each
    // keep their own set (the shallow compare with the previous row must not reuse its set).
    const near: Record<string, string>[] = [
      { a: '1', b: '2' },
      { a: '1', b: '3' },
      { a: '1', c: '3' },
      { a: '1' },
      { a: '1', b: undefined as unknown as string },
      {},
    ];
    replaceShard(
      repo,
      'props',
      1,
      'd',
      near.map((properties, i) => result(`N::t${i}`, 'passed', { properties })),
      NOW,
    );
    const got = new Map(
      repo
        .results(pk, { full: true })
        .filter((r) => r.shard === 'd')
        .map((r) => [r.id, r.properties]),
    );
    for (const [i, p] of near.entries())
      expect(got.get(`N::t${i}`), `N::t${i}`).toEqual(JSON.parse(JSON.stringify(p)));
  });

  it('reads inline properties of rows stored before property sets (migration 2 -> 3)', () => {
    db.close();
    const path = `${tmp.dir}/old.sqlite`;
    const old = new Database(path);
    old.exec(MIGRATIONS[0]!);
    old.exec(MIGRATIONS[1]!);
    old.pragma('user_version = 2');
    old.exec(`INSERT INTO runs (run_id, created_at, updated_at) VALUES ('old', 'x', 'x');
      INSERT INTO attempts (run_pk, number, created_at, updated_at) VALUES (1, 1, 'x', 'x');
      INSERT INTO shards (attempt_pk, name, uploaded_at) VALUES (1, 'a', 'x');
      INSERT INTO results (shard_pk, run_pk, attempt_no, test_id, suite, classname, name, status, properties)
        VALUES (1, 1, 1, 'O::t', 's', 'O', 't', 'failed', '{"k":"v"}');`);
    old.close();
    db = openDatabase(path);
    repo = new Repository(db);
    const { pk } = repo.runKey('old')!;
    expect(repo.results(pk, { full: true })[0]!.properties).toEqual({ k: 'v' });
    // The migration filled the shard counts the summary reads.
    expect(repo.summary(pk).attempts[0]!.shards[0]!.counts).toEqual({
      total: 1,
      passed: 0,
      failed: 1,
      error: 0,
      skipped: 0,
    });
    expect(repo.failingIds(pk)).toEqual(['O::t']);
  });

  it('upgrades a v3 database (text ids and statuses per row) to the per-run tests dictionary, keeping every read', () => {
    db.close();
    const path = `${tmp.dir}/v3.sqlite`;
    const old = new Database(path);
    for (const m of MIGRATIONS.slice(0, 3)) old.exec(m);
    old.pragma('user_version = 3');
    old.exec(`INSERT INTO runs (run_id, created_at, updated_at) VALUES ('v3', 'x', 'x');
      INSERT INTO attempts (run_pk, number, created_at, updated_at) VALUES (1, 1, 'x', 'x'), (1, 2, 'x', 'x');
      INSERT INTO shards (attempt_pk, name, uploaded_at, passed, failed) VALUES (1, 'a', 'x', 2, 2), (1, 'b', 'x', 1, 0), (2, 'a', 'x', 1, 0);
      INSERT INTO property_sets (hash, json) VALUES ('h', '{"k":"v"}');
      INSERT INTO results (shard_pk, run_pk, attempt_no, test_id, suite, classname, name, status, property_set, retries, file, line)
        VALUES (1, 1, 1, 'C::flaky', 'C', 'C', 'flaky', 'failed', 1, NULL, 'c.py', 3),
               (1, 1, 1, 'C::still', 'S', 'C', 'still', 'failed', NULL, NULL, NULL, NULL),
               (1, 1, 1, 'C::ok', 'C', 'C', 'ok', 'passed', NULL, '[{"kind":"flakyFailure","message":"m"}]', NULL, NULL),
               (1, 1, 1, 'Login:::works', 'Login:', 'Login:', 'works', 'passed', NULL, NULL, NULL, NULL),
               (2, 1, 1, 'C::still', 'S2', 'C2', 'still2', 'passed', NULL, NULL, NULL, NULL),
               (3, 1, 2, 'C::flaky', 'C', 'C', 'flaky', 'passed', NULL, NULL, NULL, NULL);`);
    old.close();
    db = openDatabase(path);
    repo = new Repository(db);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);
    const { pk } = repo.runKey('v3')!;
    const got = repo
      .results(pk, { full: true })
      .map((r) => [r.attempt, r.shard, r.id, r.suite, r.classname, r.name, r.status]);
    expect(got.sort()).toEqual(
      [
        [1, 'a', 'C::flaky', 'C', 'C', 'flaky', 'failed'],
        [1, 'a', 'C::still', 'S', 'C', 'still', 'failed'],
        [1, 'a', 'C::ok', 'C', 'C', 'ok', 'passed'],
        [1, 'a', 'Login:::works', 'Login:', 'Login:', 'works', 'passed'],
        [1, 'b', 'C::still', 'S2', 'C2', 'still2', 'passed'],
        [2, 'a', 'C::flaky', 'C', 'C', 'flaky', 'passed'],
      ].sort(),
    );
    const flaky = repo.results(pk, { full: true }).find((r) => r.id === 'C::flaky' && r.attempt === 1)!;
    expect(flaky).toMatchObject({ properties: { k: 'v' }, file: 'c.py', line: 3 });
    // A failure in one shard is not hidden by the other shard's pass; the later pass makes it flaky.
    expect(repo.failingIds(pk)).toEqual(['C::still']);
    const summary = repo.summary(pk);
    expect(summary.current.flaky).toEqual(['C::flaky', 'C::ok']);
    expect(summary).toEqual(summarizeRun(repo.attempts(pk), repo.shards(pk), repo.results(pk)));
    // The upgraded file takes new writes: a re-upload of attempt 2 replaces its shard.
    replaceShard(repo, 'v3', 2, 'a', [result('C::flaky', 'failed'), result('C::new', 'passed')], NOW);
    expect(repo.failingIds(pk)).toEqual(['C::flaky', 'C::still']);
  });

  it('refuses an id, name or classname over 65,536 UTF-8 bytes inside the transaction: nothing stored', () => {
    replaceShard(repo, 'caps', 1, 'a', [result('K::kept', 'failed')], NOW);
    const huge = 'n'.repeat(10 * 1024 * 1024);
    const over = [
      result(`K::${huge}`, 'passed', { name: huge }),
      result('K::euro', 'passed', { classname: '€'.repeat(30_000) }), // 30,000 units, 90,000 bytes
    ];
    for (const bad of over) {
      const err = (() => {
        try {
          replaceShard(repo, 'caps', 1, 'a', [result('K::other', 'passed'), bad], NOW);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(ResultCapError);
      expect((err as ResultCapError).code).toBe('identifier_too_long');
      expect((err as ResultCapError).details).toMatchObject({ limit: 65_536, index: 1 });
      expect(() => mergeShard(repo, 'caps', 1, 'a', [bad], NOW)).toThrow(ResultCapError);
    }
    // The shard as it was: the failure is still there, nothing of the refused uploads.
    const { pk } = repo.runKey('caps')!;
    expect(repo.results(pk).map((r) => r.id)).toEqual(['K::kept']);
    expect(repo.failingIds(pk)).toEqual(['K::kept']);
    // Exactly at the cap is stored.
    const edge = 'x'.repeat(65_536);
    replaceShard(repo, 'caps', 1, 'b', [result(edge, 'passed', { name: edge })], NOW);
    expect(repo.results(pk).some((r) => r.id === edge)).toBe(true);
  });

  it('checkResultCaps counts results when asked', () => {
    expect(() =>
      checkResultCaps([result('a', 'passed'), result('b', 'passed')], { identBytes: 10, maxResults: 1 }),
    ).toThrow(/at most 1 results per upload, got 2/);
    expect(() => checkResultCaps([result('a', 'passed')], { identBytes: 10, maxResults: 1 })).not.toThrow();
  });

  it('attemptPage (SQL keyset) pages through exactly what listTests gives for that attempt', () => {
    const statuses: TestStatus[] = ['passed', 'failed', 'error', 'skipped'];
    const rand = rng(7);
    const ids = Array.from({ length: 60 }, (_, i) => `C${i % 4}::t${String(i).padStart(2, '0')}`);
    for (let attempt = 1; attempt <= 2; attempt++) {
      for (const shard of ['1/3', '2/3', '3/3']) {
        const mine = ids.filter(() => rand() < 0.5);
        replaceShard(
          repo,
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
