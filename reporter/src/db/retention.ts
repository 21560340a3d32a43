import type Database from 'better-sqlite3';

/**
 * Removing runs (DELETE /api/v1/runs/:runId and the retention job), SQLite side.
 *
 * What goes with a run: `runs` → `attempts` → `shards` → `results` cascade by foreign key
 * (ON DELETE CASCADE, `PRAGMA foreign_keys = ON` in openDatabase), and the run's history rows
 * (`<id>#try<n>`, `superseded_by` = the run's pk, ON DELETE CASCADE too) with their attempts,
 * shards and results. `results.run_pk` is denormalized and has no foreign key, but every result
 * row also hangs off a shard (`shard_pk`, NOT NULL, cascading), so none survives. The statements
 * below delete the history rows and the run explicitly instead of trusting that alone: the
 * outcome then does not depend on the connection's foreign_keys setting for the top level, and
 * the tests check that no attempt, shard or result of the run is left either way.
 *
 * Property sets (`property_sets`) stay: they are shared between runs (one row per distinct set
 * of suite properties, ever) and finding the unreferenced ones would need an index on
 * `results.property_set` that every insert would pay for. See reporter/README.md, Retention.
 */

const statements = new WeakMap<Database.Database, ReturnType<typeof prepare>>();

function prepare(db: Database.Database) {
  return {
    runPk: db
      .prepare<[string], number>('SELECT pk FROM runs WHERE run_id = ? AND superseded_by IS NULL')
      .pluck(),
    // History rows are `<id>#try<n>`: a range of the run_id UNIQUE index (run ids never contain
    // '#', and 'z' follows 'y'), so no scan of runs. superseded_by is checked as well.
    history: db
      .prepare<[string, string, number], number>(
        'SELECT pk FROM runs WHERE run_id > ? AND run_id < ? AND superseded_by = ?',
      )
      .pluck(),
    // Current rows (history rows go with their run), oldest first so an interrupted pass removed
    // the oldest ones. No index on updated_at: the runs table is small (one row per pipeline run),
    // a scan of it is far cheaper than deleting one run's results (measured: README, Retention).
    expired: db.prepare<[string, number], { pk: number; runId: string }>(
      `SELECT pk, run_id AS runId FROM runs WHERE superseded_by IS NULL AND updated_at < ?
         ORDER BY updated_at, pk LIMIT ?`,
    ),
    // Leaf first. The cascades would do the same; explicit deletes keep the outcome independent of
    // the connection's foreign_keys setting, and each one is an index range.
    deleteResults: db.prepare<[number]>(
      `DELETE FROM results WHERE shard_pk IN
         (SELECT s.pk FROM attempts a JOIN shards s ON s.attempt_pk = a.pk WHERE a.run_pk = ?)`,
    ),
    deleteShards: db.prepare<[number]>(
      'DELETE FROM shards WHERE attempt_pk IN (SELECT pk FROM attempts WHERE run_pk = ?)',
    ),
    deleteAttempts: db.prepare<[number]>('DELETE FROM attempts WHERE run_pk = ?'),
    deleteRunRow: db.prepare<[number]>('DELETE FROM runs WHERE pk = ?'),
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
 * Deletes up to `limit` runs whose last write (`updated_at`, ISO 8601 UTC, so text order is time
 * order) is before `cutoffIso`, oldest first, with their history rows, in one transaction.
 * Returns how many runs were removed; fewer than `limit` means none is left.
 */
export function expireRuns(db: Database.Database, cutoffIso: string, limit: number): number {
  const s = prepared(db);
  return db
    .transaction(() => {
      // BEGIN IMMEDIATE: the write lock is held from the select on, so an upload that touches a
      // run's updated_at commits before this transaction (and the run is not selected) or after it
      // (and finds no run: it starts a new one), never in between.
      const rows = s.expired.all(cutoffIso, Math.max(0, Math.floor(limit)));
      for (const { pk, runId } of rows) removeRun(s, pk, runId);
      return rows.length;
    })
    .immediate();
}
