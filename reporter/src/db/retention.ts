import type Database from 'better-sqlite3';

/**
 * Removing runs (DELETE /api/v1/runs/:runId and the retention job), SQLite side.
 *
 * What goes with a run: `runs` → `attempts` → `shards` → `results` cascade by foreign key
 * (ON DELETE CASCADE, `PRAGMA foreign_keys = ON` in openDatabase), `runs` → `tests` (the run's
 * test dictionary) too, and the run's history rows (`<id>#try<n>`, `superseded_by` = the run's
 * pk, ON DELETE CASCADE too) with all of theirs. `results.run_pk` and `results.test_pk` are
 * denormalized and have no foreign key, but every result row also hangs off a shard (`shard_pk`,
 * NOT NULL, cascading), so none survives. The statements
 * below delete the history rows and the run explicitly instead of trusting that alone: the
 * outcome then does not depend on the connection's foreign_keys setting for the top level, and
 * the tests check that no attempt, shard or result of the run is left either way.
 *
 * Property sets (`property_sets`) stay: they are shared between runs (one row per distinct set
 * of suite properties, ever) and finding the unreferenced ones would need an index on
 * `results.property_set` that every insert would pay for. See reporter/README.md, Retention.
 */

/**
 * The SQL texts, in the style of db/sql.ts (positional `?` only, standard SQL, parameter order next
 * to each), so the PostgreSQL storage can run the same texts through its dialect function.
 */
export const RETENTION_SQL = {
  /** (run_id) */
  runPk: 'SELECT pk FROM runs WHERE run_id = ? AND superseded_by IS NULL',
  /**
   * (run_id || '#try', run_id || '#trz', pk). History rows are `<id>#try<n>`: a range of the run_id
   * UNIQUE index (run ids never contain '#', and 'z' follows 'y'), so no scan of runs.
   */
  history: 'SELECT pk FROM runs WHERE run_id > ? AND run_id < ? AND superseded_by = ?',
  /**
   * (cutoff, limit). Current rows (history rows go with their run), oldest first, so an interrupted
   * pass removed the oldest, each with its result count (its tries' shard counts: a few rows). No
   * index on updated_at: one row per pipeline run, a scan of runs is ~1 ms at 45 000 runs, far less
   * than deleting one run's results (README, Retention).
   */
  expired: `SELECT r.pk, r.run_id AS "runId",
      (SELECT coalesce(sum(s.passed + s.failed + s.error + s.skipped), 0)
       FROM runs h JOIN attempts a ON a.run_pk = h.pk JOIN shards s ON s.attempt_pk = a.pk
       WHERE h.pk = r.pk OR h.superseded_by = r.pk) AS results
    FROM runs r WHERE r.superseded_by IS NULL AND r.updated_at < ?
    ORDER BY r.updated_at, r.pk LIMIT ?`,
  // Leaf first, each an index range. The cascades would do the same; explicit deletes keep the
  // outcome independent of the connection's foreign_keys setting.
  /** (run pk) */
  deleteResults: `DELETE FROM results WHERE shard_pk IN
    (SELECT s.pk FROM attempts a JOIN shards s ON s.attempt_pk = a.pk WHERE a.run_pk = ?)`,
  /** (run pk) */
  deleteShards: 'DELETE FROM shards WHERE attempt_pk IN (SELECT pk FROM attempts WHERE run_pk = ?)',
  /** (run pk) */
  deleteAttempts: 'DELETE FROM attempts WHERE run_pk = ?',
  /** (run pk): the run's test dictionary (schema v4), after the results that point at it. */
  deleteTests: 'DELETE FROM tests WHERE run_pk = ?',
  /** (run pk) */
  deleteRun: 'DELETE FROM runs WHERE pk = ?',
} as const;

const statements = new WeakMap<Database.Database, ReturnType<typeof prepare>>();

function prepare(db: Database.Database) {
  const q = RETENTION_SQL;
  return {
    runPk: db.prepare<[string], number>(q.runPk).pluck(),
    history: db.prepare<[string, string, number], number>(q.history).pluck(),
    expired: db.prepare<[string, number], { pk: number; runId: string; results: number }>(q.expired),
    deleteResults: db.prepare<[number]>(q.deleteResults),
    deleteShards: db.prepare<[number]>(q.deleteShards),
    deleteAttempts: db.prepare<[number]>(q.deleteAttempts),
    deleteTests: db.prepare<[number]>(q.deleteTests),
    deleteRunRow: db.prepare<[number]>(q.deleteRun),
  };
}

function prepared(db: Database.Database) {
  let s = statements.get(db);
  if (!s) {
    s = prepare(db);
    statements.set(db, s);
  }
  return s;
}

/** Removes one run (current row) with its history rows and everything under them. */
function removeRun(s: ReturnType<typeof prepare>, pk: number, runId: string): void {
  const history = s.history.all(`${runId}#try`, `${runId}#trz`, pk);
  for (const p of [...history, pk]) {
    s.deleteResults.run(p);
    s.deleteShards.run(p);
    s.deleteAttempts.run(p);
    s.deleteTests.run(p);
    s.deleteRunRow.run(p);
  }
}

/**
 * Deletes the run `runId` (its current try, every history try, their attempts, shards and
 * results) in one transaction. False when no such run exists. A history row's id
 * (`<id>#try<n>`) is not a run of its own here: reads never answer it, so neither does this.
 */
export function deleteRun(db: Database.Database, runId: string): boolean {
  const s = prepared(db);
  return db
    .transaction(() => {
      const pk = s.runPk.get(runId);
      if (pk === undefined) return false;
      removeRun(s, pk, runId);
      return true;
    })
    .immediate();
}

/**
 * Most results one expireRuns() transaction deletes (but always at least one run): deleting costs
 * about 3 µs per result (bench/retention.mjs), so ~30 ms unloaded. Without it a batch of many
 * small runs followed by large ones (the job grows batches while they are fast) could hold the
 * write lock for the sum of many large runs.
 */
export const MAX_RESULTS_PER_BATCH = 10_000;

/**
 * Deletes up to `limit` runs whose last write (`updated_at`, ISO 8601 UTC, so text order is time
 * order) is before `cutoffIso`, oldest first, with their history rows, in one transaction.
 * Stops early, before a run that would take the batch past `maxResults` results (the first run
 * is always taken), so fewer than `limit` does not mean none is left: call until it returns 0.
 * Returns how many runs were removed.
 */
export function expireRuns(
  db: Database.Database,
  cutoffIso: string,
  limit: number,
  maxResults = MAX_RESULTS_PER_BATCH,
): number {
  const s = prepared(db);
  return db
    .transaction(() => {
      // BEGIN IMMEDIATE: the write lock is held from the select on, so an upload that touches a
      // run's updated_at commits before this transaction (and the run is not selected) or after it
      // (and finds no run: it starts a new one), never in between.
      const rows = s.expired.all(cutoffIso, Math.max(0, Math.floor(limit)));
      let removed = 0;
      let results = 0;
      for (const { pk, runId, results: n } of rows) {
        if (removed > 0 && results + n > maxResults) break;
        removeRun(s, pk, runId);
        removed++;
        results += n;
      }
      return removed;
    })
    .immediate();
}
