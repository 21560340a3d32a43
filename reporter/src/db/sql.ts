/**
 * Every SQL text of the repository (the DDL is in migrations.ts), with positional `?` parameters
 * only, in standard SQL where a standard form exists, so another engine can run the same texts
 * through a small dialect function (`?` -> `$n`, `INDEXED BY x` removed). The parameter order of each
 * text is written next to it; Repository binds in that order. An optional parameter is tested as
 * `CAST(? AS TEXT) IS NULL`: a bare `? IS NULL` has no type where an engine types its parameters.
 */

// results.status is core's STATUS_SEVERITY (error 3 > failed 2 > passed 1 > skipped 0; rows.ts
// maps it): failing is `status >= 2`, the most severe record of a set is max(status).

/**
 * A result row's columns (rows.ts ResultRow): the test's identity from `tests` (t_*), the record's
 * own where it differs. The lean list serves listings and decisions, the full one the merged report.
 */
const LEAN_COLUMNS = `r.attempt_no, s.name AS shard, t.test_id, t.suite AS t_suite, t.classname AS t_classname,
  t.name AS t_name, r.suite, r.classname, r.name, r.file, r.line, r.status, r.duration_ms, r.message, r.type, r.retries`;
// Properties: the shared set when the row has one, else the inline JSON of rows stored before sets.
const FULL_COLUMNS = `${LEAN_COLUMNS}, r.details, r.stdout, r.stderr, coalesce(ps.json, r.properties) AS properties`;
const RESULTS_FROM = 'results r JOIN tests t ON t.pk = r.test_pk JOIN shards s ON s.pk = r.shard_pk';
const FULL_FROM = `${RESULTS_FROM} LEFT JOIN property_sets ps ON ps.pk = r.property_set`;

export const PING = 'SELECT 1 AS ok';
/**
 * (): changes once anything is written: total_changes() counts this connection's row changes,
 * data_version changes when another connection commits (SQLite; a cache key, not data).
 */
export const WRITE_VERSION =
  "SELECT total_changes() || ':' || (SELECT data_version FROM pragma_data_version) AS v";

// --- runs
/** (run_id) */
export const RUN_BY_KEY = 'SELECT * FROM runs WHERE run_id = ?';
export const RUN_EXISTS = 'SELECT 1 FROM runs WHERE pk = ?';
/** (run_id, project, branch, commit_sha, ci_url, labels, now, now) */
export const INSERT_RUN = `INSERT INTO runs (run_id, project, branch, commit_sha, ci_url, labels, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;
/** (project, branch, commit_sha, ci_url, labels, now, pk); a NULL keeps the stored value. */
export const UPDATE_RUN = `UPDATE runs SET project = coalesce(?, project), branch = coalesce(?, branch),
    commit_sha = coalesce(?, commit_sha), ci_url = coalesce(?, ci_url),
    labels = coalesce(?, labels), updated_at = ?
  WHERE pk = ?`;
/** (now, pk) */
export const TOUCH_RUN = 'UPDATE runs SET updated_at = ? WHERE pk = ?';
/** (project, project, branch, branch, before, limit); NULL project/branch: any. */
export const LIST_RUNS = `SELECT * FROM runs WHERE (CAST(? AS TEXT) IS NULL OR project = ?) AND (CAST(? AS TEXT) IS NULL OR branch = ?)
    AND superseded_by IS NULL AND pk < ? ORDER BY pk DESC LIMIT ?`;
/** (now, pk): copies the run to its history row `<id>#try<n>`. */
export const INSERT_HISTORY = `INSERT INTO runs (run_id, project, branch, commit_sha, ci_url, labels, try, superseded_by, created_at, updated_at)
  SELECT run_id || '#try' || try, project, branch, commit_sha, ci_url, labels, try, pk, created_at, ?
  FROM runs WHERE pk = ?`;
/** (to, from) */
export const MOVE_ATTEMPTS = 'UPDATE attempts SET run_pk = ? WHERE run_pk = ?';
/** (to, from) */
export const MOVE_RESULTS = 'UPDATE results SET run_pk = ? WHERE run_pk = ?';
/** (now, pk) */
export const BUMP_TRY = 'UPDATE runs SET try = try + 1, updated_at = ? WHERE pk = ?';

// --- attempts
/** (run_pk, number) */
export const ATTEMPT = 'SELECT * FROM attempts WHERE run_pk = ? AND number = ?';
/** (run_pk) */
export const ATTEMPTS = 'SELECT * FROM attempts WHERE run_pk = ? ORDER BY number';
/** (run_pk) */
export const LAST_ATTEMPT = 'SELECT max(number) FROM attempts WHERE run_pk = ?';
/** (run_pk, number, now, now) */
export const INSERT_ATTEMPT =
  'INSERT INTO attempts (run_pk, number, created_at, updated_at) VALUES (?, ?, ?, ?) RETURNING pk';
/** (threads, selected_count, started_at, finished_at, exit_code, decision, shard_total, now, pk); NULL keeps. */
export const UPDATE_ATTEMPT = `UPDATE attempts SET threads = coalesce(?, threads), selected_count = coalesce(?, selected_count),
    started_at = coalesce(?, started_at), finished_at = coalesce(?, finished_at),
    exit_code = coalesce(?, exit_code), decision = coalesce(?, decision),
    shard_total = coalesce(?, shard_total), updated_at = ?
  WHERE pk = ?`;

// --- shards
/** (attempt_pk, name) */
export const SHARD = 'SELECT pk FROM shards WHERE attempt_pk = ? AND name = ?';
/** (attempt_pk, name, now) */
export const INSERT_SHARD =
  'INSERT INTO shards (attempt_pk, name, uploaded_at) VALUES (?, ?, ?) RETURNING pk';
/** (now, pk) */
export const TOUCH_SHARD = 'UPDATE shards SET uploaded_at = ? WHERE pk = ?';
/** (run_pk) */
export const SHARDS = `SELECT a.number AS attempt, s.name, s.uploaded_at AS uploadedAt FROM shards s
  JOIN attempts a ON a.pk = s.attempt_pk WHERE a.run_pk = ? ORDER BY a.number, s.name`;
/** (shard_pk) */
export const SHARD_COUNTS = 'SELECT status, count(*) AS n FROM results WHERE shard_pk = ? GROUP BY status';
/** (passed, failed, error, skipped, pk) */
export const SET_SHARD_COUNTS =
  'UPDATE shards SET passed = ?, failed = ?, error = ?, skipped = ? WHERE pk = ?';
/** (run_pk): the run's stored results, all attempts, from the shards' counts (O(shards), no scan). */
export const RUN_RESULT_COUNT = `SELECT coalesce(sum(s.passed + s.failed + s.error + s.skipped), 0) FROM shards s
  JOIN attempts a ON a.pk = s.attempt_pk WHERE a.run_pk = ?`;
/** (pk) */
export const SHARD_RESULT_COUNT = 'SELECT passed + failed + error + skipped FROM shards WHERE pk = ?';
/** (run_pk) */
export const SHARDS_WITH_COUNTS = `SELECT a.number AS attempt, s.name, s.uploaded_at AS uploadedAt, s.passed, s.failed, s.error, s.skipped
  FROM shards s JOIN attempts a ON a.pk = s.attempt_pk WHERE a.run_pk = ? ORDER BY a.number, s.name`;

// --- tests (the per-run dictionary)
/** (run_pk, test_id) */
export const TEST = 'SELECT pk, suite, classname, name FROM tests WHERE run_pk = ? AND test_id = ?';
/**
 * (run_pk, test_id, suite, classname, name): inserts the test unless the run has it (no change then;
 * the caller reads it with TEST). The new pk is the insert's row id (`RETURNING pk` where an engine
 * has no such id: SQLite's RETURNING buffers its rows and costs ~15% of an upload here).
 */
export const INSERT_TEST = `INSERT INTO tests (run_pk, test_id, suite, classname, name) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (run_pk, test_id) DO NOTHING`;
/** (to, from) */
export const MOVE_TESTS = 'UPDATE tests SET run_pk = ? WHERE run_pk = ?';

// --- results
/** The order of a result row's values (Repository ResultValues). */
const RESULT_COLUMNS = `shard_pk, run_pk, attempt_no, test_pk, status, duration_ms, file, line, message, type,
  details, stdout, stderr, property_set, retries, suite, classname, name`;
const RESULT_PARAMS = Array.from({ length: 18 }, () => '?').join(', ');
/** Rows per INSERT_RESULTS: one statement run per 32 rows instead of per row (binding stays positional). */
export const RESULTS_PER_INSERT = 32;
/** (RESULT_COLUMNS in order) × RESULTS_PER_INSERT: a replaced shard's rows, 32 at a time. */
export const INSERT_RESULTS = `INSERT INTO results (${RESULT_COLUMNS}) VALUES ${Array.from(
  { length: RESULTS_PER_INSERT },
  () => `(${RESULT_PARAMS})`,
).join(', ')}`;
/** (shard_pk) */
export const DELETE_SHARD_RESULTS = 'DELETE FROM results WHERE shard_pk = ?';
/** (RESULT_COLUMNS in order). After the shard's rows were deleted nothing can conflict: a plain INSERT. */
export const INSERT_RESULT = `INSERT INTO results (${RESULT_COLUMNS}) VALUES (${RESULT_PARAMS})`;
/**
 * (RESULT_COLUMNS in order). JSON batches without replace update per test. properties = NULL: the
 * set replaces any inline JSON of a row stored before property sets.
 */
export const UPSERT_RESULT = `INSERT INTO results (${RESULT_COLUMNS}) VALUES (${RESULT_PARAMS})
  ON CONFLICT (shard_pk, test_pk) DO UPDATE SET status = excluded.status, duration_ms = excluded.duration_ms,
    file = excluded.file, line = excluded.line, message = excluded.message, type = excluded.type,
    details = excluded.details, stdout = excluded.stdout, stderr = excluded.stderr,
    property_set = excluded.property_set, properties = NULL, retries = excluded.retries,
    suite = excluded.suite, classname = excluded.classname, name = excluded.name`;
/** (hash) */
export const PROPERTY_SET = 'SELECT pk FROM property_sets WHERE hash = ?';
/** (hash, json) */
export const INSERT_PROPERTY_SET = 'INSERT INTO property_sets (hash, json) VALUES (?, ?)';
/** (run_pk) */
export const LEAN_RESULTS = `SELECT ${LEAN_COLUMNS} FROM ${RESULTS_FROM} WHERE r.run_pk = ?`;
/** (run_pk) */
export const FULL_RESULTS = `SELECT ${FULL_COLUMNS} FROM ${FULL_FROM} WHERE r.run_pk = ?`;
/**
 * (run_pk, afterId ?? '', attempt, filter, filter, filter, afterId, afterId, afterId, afterShard,
 * limit): one attempt's records in (test id, shard) order from a keyset cursor; filter 'all' |
 * 'failed' | 'passed', afterId NULL for the first page. The tests are walked in id order from the
 * cursor (`t.test_id >= ?`: a seek in the tests index; CROSS JOIN keeps them the outer loop in
 * SQLite), each test's records of the attempt found by one seek, so a page stops after `limit`
 * rows. The exact cursor comparison is written out (standard SQL).
 */
export const ATTEMPT_PAGE = `SELECT ${LEAN_COLUMNS}
  FROM tests t CROSS JOIN results r JOIN shards s ON s.pk = r.shard_pk
  WHERE t.run_pk = ? AND t.test_id >= ? AND r.run_pk = t.run_pk AND r.test_pk = t.pk AND r.attempt_no = ?
    AND (? = 'all' OR (? = 'failed' AND r.status >= 2) OR (? = 'passed' AND r.status = 1))
    AND (CAST(? AS TEXT) IS NULL OR t.test_id > ? OR (t.test_id = ? AND s.name > ?))
  ORDER BY t.test_id, s.name LIMIT ?`;
/**
 * (run_pk, run_pk). Current state per test = its records in the latest attempt that ran it; failing
 * if any of those failed (a failure in one shard is never hidden by a pass in another). So: the
 * failing rows (partial index results_failing, O(failures)) with no row of the same test in a later
 * attempt (one seek in results_current each). The run's passing rows are never read.
 */
export const FAILING_IDS = `SELECT DISTINCT t.test_id FROM results f INDEXED BY results_failing
  JOIN tests t ON t.pk = f.test_pk
  WHERE f.run_pk = ? AND f.status >= 2
    AND NOT EXISTS (SELECT 1 FROM results l
                    WHERE l.run_pk = ? AND l.test_pk = f.test_pk AND l.attempt_no > f.attempt_no)`;
/** (run_pk): every test that ever failed in the run (partial index). */
export const EVER_FAILED_IDS = `SELECT DISTINCT t.test_id FROM results f INDEXED BY results_failing
  JOIN tests t ON t.pk = f.test_pk WHERE f.run_pk = ? AND f.status >= 2`;
/** (run_pk): every test that carried retry evidence in the run (partial index). */
export const EVIDENCE_IDS = `SELECT DISTINCT t.test_id FROM results e INDEXED BY results_evidence
  JOIN tests t ON t.pk = e.test_pk WHERE e.run_pk = ? AND e.retries IS NOT NULL`;
/**
 * (run_pk). Attempt counts: each test once per attempt, its most severe record (as dedupeById).
 * Grouped by (test_pk, attempt_no) so the covering index results_current is read in order.
 */
export const ATTEMPT_COUNTS = `SELECT attempt, sev, count(*) AS n FROM
    (SELECT r.attempt_no AS attempt, max(r.status) AS sev FROM results r
     WHERE r.run_pk = ? GROUP BY r.test_pk, r.attempt_no) per_test
  GROUP BY attempt, sev`;
/**
 * (run_pk). Current totals: per test, its latest attempt then its most severe record there, packed
 * as attempt*4+severity into one MAX (one ordered scan of results_current).
 */
export const CURRENT_COUNTS = `SELECT sum(CASE WHEN sev = 0 THEN 1 ELSE 0 END) AS skipped,
    sum(CASE WHEN sev = 1 THEN 1 ELSE 0 END) AS passed, sum(CASE WHEN sev = 2 THEN 1 ELSE 0 END) AS failed,
    sum(CASE WHEN sev = 3 THEN 1 ELSE 0 END) AS error FROM
    (SELECT max(r.attempt_no * 4 + r.status) % 4 AS sev FROM results r
     WHERE r.run_pk = ? GROUP BY r.test_pk) per_test`;
