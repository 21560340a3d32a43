/**
 * Every SQL text of the repository (the DDL is in migrations.ts), with positional `?` parameters
 * only, in standard SQL where a standard form exists, so another engine can run the same texts
 * through a small dialect function (`?` -> `$n`, `INDEXED BY x` removed). The parameter order of each
 * text is written next to it; Repository binds in that order.
 */

/** Status severity as SQL (core STATUS_SEVERITY: error 3 > failed 2 > passed 1 > skipped 0). */
const SEVERITY = "CASE r.status WHEN 'error' THEN 3 WHEN 'failed' THEN 2 WHEN 'passed' THEN 1 ELSE 0 END";

/** Column lists: the lean one serves listings and decisions, the full one the merged report. */
const LEAN_COLUMNS =
  'r.attempt_no, s.name AS shard, r.test_id, r.suite, r.classname, r.name, r.file, r.line, r.status, r.duration_ms, r.message, r.type, r.retries';
// Properties: the shared set when the row has one, else the inline JSON of rows stored before sets.
const FULL_COLUMNS = `${LEAN_COLUMNS}, r.details, r.stdout, r.stderr, coalesce(ps.json, r.properties) AS properties`;
const FULL_FROM =
  'results r JOIN shards s ON s.pk = r.shard_pk LEFT JOIN property_sets ps ON ps.pk = r.property_set';

export const PING = 'SELECT 1 AS ok';

// --- runs
/** (run_id) */
export const RUN_BY_KEY = 'SELECT * FROM runs WHERE run_id = ?';
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
export const LIST_RUNS = `SELECT * FROM runs WHERE (? IS NULL OR project = ?) AND (? IS NULL OR branch = ?)
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
/** (run_pk) */
export const SHARDS_WITH_COUNTS = `SELECT a.number AS attempt, s.name, s.uploaded_at AS uploadedAt, s.passed, s.failed, s.error, s.skipped
  FROM shards s JOIN attempts a ON a.pk = s.attempt_pk WHERE a.run_pk = ? ORDER BY a.number, s.name`;

// --- results
const RESULT_COLUMNS = `shard_pk, run_pk, attempt_no, test_id, suite, classname, name, file, line, status,
  duration_ms, message, type, details, stdout, stderr, property_set, retries`;
const RESULT_PARAMS = Array.from({ length: 18 }, () => '?').join(', ');
/** (shard_pk) */
export const DELETE_SHARD_RESULTS = 'DELETE FROM results WHERE shard_pk = ?';
/** (RESULT_COLUMNS in order). After the shard's rows were deleted nothing can conflict: a plain INSERT. */
export const INSERT_RESULT = `INSERT INTO results (${RESULT_COLUMNS}) VALUES (${RESULT_PARAMS})`;
/**
 * (RESULT_COLUMNS in order). JSON batches without replace update per test id. properties = NULL:
 * the set replaces any inline JSON of a row stored before property sets.
 */
export const UPSERT_RESULT = `INSERT INTO results (${RESULT_COLUMNS}) VALUES (${RESULT_PARAMS})
  ON CONFLICT (shard_pk, test_id) DO UPDATE SET suite = excluded.suite, classname = excluded.classname,
    name = excluded.name, file = excluded.file, line = excluded.line, status = excluded.status,
    duration_ms = excluded.duration_ms, message = excluded.message, type = excluded.type,
    details = excluded.details, stdout = excluded.stdout, stderr = excluded.stderr,
    property_set = excluded.property_set, properties = NULL, retries = excluded.retries`;
/** (hash) */
export const PROPERTY_SET = 'SELECT pk FROM property_sets WHERE hash = ?';
/** (hash, json) */
export const INSERT_PROPERTY_SET = 'INSERT INTO property_sets (hash, json) VALUES (?, ?)';
/** (run_pk) */
export const LEAN_RESULTS = `SELECT ${LEAN_COLUMNS} FROM results r JOIN shards s ON s.pk = r.shard_pk WHERE r.run_pk = ?`;
/** (run_pk) */
export const FULL_RESULTS = `SELECT ${FULL_COLUMNS} FROM ${FULL_FROM} WHERE r.run_pk = ?`;
/**
 * (run_pk, attempt, filter, filter, filter, afterId, afterId, afterId, afterShard, limit): one
 * attempt's records in (test id, shard) order from a keyset cursor; filter 'all' | 'failed' | 'passed',
 * afterId NULL for the first page. The row-value comparison is written out (standard, and every
 * engine plans it as a range).
 */
export const ATTEMPT_PAGE = `SELECT ${LEAN_COLUMNS} FROM results r JOIN shards s ON s.pk = r.shard_pk
  WHERE r.run_pk = ? AND r.attempt_no = ?
    AND (? = 'all' OR (? = 'failed' AND r.status IN ('failed', 'error')) OR (? = 'passed' AND r.status = 'passed'))
    AND (? IS NULL OR r.test_id > ? OR (r.test_id = ? AND s.name > ?))
  ORDER BY r.test_id, s.name LIMIT ?`;
/**
 * (run_pk, run_pk). Current state per test = its records in the latest attempt that ran it; failing
 * if any of those failed (a failure in one shard is never hidden by a pass in another). So: the
 * failing rows (partial index results_failing, O(failures)) with no row of the same test in a later
 * attempt (one seek in results_current each). The run's passing rows are never read.
 */
export const FAILING_IDS = `SELECT DISTINCT f.test_id FROM results f INDEXED BY results_failing
  WHERE f.run_pk = ? AND f.status IN ('failed', 'error')
    AND NOT EXISTS (SELECT 1 FROM results l
                    WHERE l.run_pk = ? AND l.test_id = f.test_id AND l.attempt_no > f.attempt_no)`;
/** (run_pk): every test that ever failed in the run (partial index). */
export const EVER_FAILED_IDS =
  "SELECT DISTINCT test_id FROM results INDEXED BY results_failing WHERE run_pk = ? AND status IN ('failed', 'error')";
/** (run_pk): every test that carried retry evidence in the run (partial index). */
export const EVIDENCE_IDS =
  'SELECT DISTINCT test_id FROM results INDEXED BY results_evidence WHERE run_pk = ? AND retries IS NOT NULL';
/**
 * (run_pk). Attempt counts: each test once per attempt, its most severe record (as dedupeById).
 * Grouped by (test_id, attempt_no) so the covering index results_current is read in order.
 */
export const ATTEMPT_COUNTS = `SELECT attempt, sev, count(*) AS n FROM
    (SELECT r.attempt_no AS attempt, max(${SEVERITY}) AS sev FROM results r
     WHERE r.run_pk = ? GROUP BY r.test_id, r.attempt_no) per_test
  GROUP BY attempt, sev`;
/**
 * (run_pk). Current totals: per test, its latest attempt then its most severe record there, packed
 * as attempt*4+severity into one MAX (one ordered scan of results_current).
 */
export const CURRENT_COUNTS = `SELECT sum(CASE WHEN sev = 0 THEN 1 ELSE 0 END) AS skipped,
    sum(CASE WHEN sev = 1 THEN 1 ELSE 0 END) AS passed, sum(CASE WHEN sev = 2 THEN 1 ELSE 0 END) AS failed,
    sum(CASE WHEN sev = 3 THEN 1 ELSE 0 END) AS error FROM
    (SELECT max(r.attempt_no * 4 + ${SEVERITY}) % 4 AS sev FROM results r
     WHERE r.run_pk = ? GROUP BY r.test_id) per_test`;
