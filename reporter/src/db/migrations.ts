import type Database from 'better-sqlite3';

/**
 * Ordered schema migrations. Entry i brings the database from user_version i to i + 1. Never edit a
 * released entry: append a new one, so every existing database file upgrades the same way.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE runs (
    pk         INTEGER PRIMARY KEY,
    run_id     TEXT NOT NULL UNIQUE,
    project    TEXT,
    branch     TEXT,
    commit_sha TEXT,
    ci_url     TEXT,
    labels     TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  -- GET /api/v1/runs?project=&branch= lists newest first (pk order).
  CREATE INDEX runs_by_project ON runs (project, branch, pk);

  CREATE TABLE attempts (
    pk             INTEGER PRIMARY KEY,
    run_pk         INTEGER NOT NULL REFERENCES runs (pk) ON DELETE CASCADE,
    number         INTEGER NOT NULL CHECK (number >= 1),
    threads        INTEGER,
    selected_count INTEGER,
    started_at     TEXT,
    finished_at    TEXT,
    exit_code      INTEGER,
    decision       TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    UNIQUE (run_pk, number)
  );

  CREATE TABLE shards (
    pk          INTEGER PRIMARY KEY,
    attempt_pk  INTEGER NOT NULL REFERENCES attempts (pk) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    uploaded_at TEXT NOT NULL,
    UNIQUE (attempt_pk, name)
  );

  CREATE TABLE results (
    pk          INTEGER PRIMARY KEY,
    shard_pk    INTEGER NOT NULL REFERENCES shards (pk) ON DELETE CASCADE,
    -- Denormalized from shard -> attempt -> run so the per-run hot queries need no joins.
    run_pk      INTEGER NOT NULL,
    attempt_no  INTEGER NOT NULL,
    test_id     TEXT NOT NULL,
    suite       TEXT NOT NULL,
    classname   TEXT NOT NULL,
    name        TEXT NOT NULL,
    file        TEXT,
    line        INTEGER,
    status      TEXT NOT NULL CHECK (status IN ('passed', 'failed', 'error', 'skipped')),
    duration_ms REAL NOT NULL DEFAULT 0,
    message     TEXT,
    type        TEXT,
    details     TEXT,
    stdout      TEXT,
    stderr      TEXT,
    properties  TEXT,
    retries     TEXT,
    UNIQUE (shard_pk, test_id)
  );
  -- Covering index for "currently failing ids of a run": one ordered scan, no table lookups.
  CREATE INDEX results_current ON results (run_pk, test_id, attempt_no, status);
  `,
  // Tries: a new `dozhim run` of a run id that already has attempts (a retried CI job keeps its
  // pipeline id) moves them to a history row (run_id "<id>#try<n>", superseded_by = the run's pk),
  // so reads of the run see only the latest try. shard_total: how many shards attempt 1 is split
  // into, so a rerun job can refuse to decide on an incomplete attempt.
  `
  ALTER TABLE runs ADD COLUMN try INTEGER NOT NULL DEFAULT 1;
  ALTER TABLE runs ADD COLUMN superseded_by INTEGER REFERENCES runs (pk) ON DELETE CASCADE;
  ALTER TABLE attempts ADD COLUMN shard_total INTEGER;
  `,
  // Storage and reads at scale.
  // - property_sets: JUnit readers copy suite-level <properties> (60 entries incl. a classpath) into
  //   every testcase; each distinct set is stored once (key: SHA-256 of its JSON) and results point
  //   at it. Rows written before keep their inline \`properties\` (reads take either).
  //   Sets are immutable and shared, never deleted, so the reference needs no foreign key check.
  // - shards.passed/failed/error/skipped: the shard's counts, written with its rows (from the parsed
  //   results), so the run summary reads one row per shard instead of counting results.
  // - results_failing / results_evidence: partial indexes over the few rows that ever failed or carry
  //   retry evidence, so the failing and flaky sets cost O(failures), not O(run size).
  `
  CREATE TABLE property_sets (
    pk   INTEGER PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    json TEXT NOT NULL
  );
  ALTER TABLE results ADD COLUMN property_set INTEGER;
  ALTER TABLE shards ADD COLUMN passed INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE shards ADD COLUMN failed INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE shards ADD COLUMN error INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE shards ADD COLUMN skipped INTEGER NOT NULL DEFAULT 0;
  UPDATE shards SET
    passed  = (SELECT count(*) FROM results r WHERE r.shard_pk = shards.pk AND r.status = 'passed'),
    failed  = (SELECT count(*) FROM results r WHERE r.shard_pk = shards.pk AND r.status = 'failed'),
    error   = (SELECT count(*) FROM results r WHERE r.shard_pk = shards.pk AND r.status = 'error'),
    skipped = (SELECT count(*) FROM results r WHERE r.shard_pk = shards.pk AND r.status = 'skipped');
  CREATE INDEX results_failing ON results (run_pk, test_id, attempt_no, status) WHERE status IN ('failed', 'error');
  CREATE INDEX results_evidence ON results (run_pk, test_id) WHERE retries IS NOT NULL;
  `,
  // Per-run test dictionary (issue 12: a Surefire-like report stored at 3.1x its size, the test id
  // being in the table and two indexes, suite/classname/name on every row).
  // - tests: one row per (run, test id) with the test's identity, so results and every index over
  //   them hold an integer test key (results_current, results_failing, the shard's UNIQUE are
  //   integer-only). classname and name NULL: the id is classname '::' name and the id's first '::'
  //   ends the classname (core's testId for a test without file/project); suite NULL: equal to the
  //   classname. (Amended before any release: "no '::' in the classname" let `Login:` + `::` + `x`
  //   decode as `Login` + `:x`.)
  //   rows.ts encodeTestIdentity/decodeTestIdentity are the rule.
  // - results.suite/classname/name: NULL when equal to the test's (decoded) identity; set only for a
  //   record whose identity differs from the first one stored for its id, so reads stay exact.
  // - results.status is core's STATUS_SEVERITY (skipped 0, passed 1, failed 2, error 3): one byte
  //   in the row and the indexes, "failing" is status >= 2, the most severe record is max(status).
  // - file/line stay per result (NULL is a value there, "no file").
  // - No foreign key from results.test_pk: a run's tests go with the run (cascade), its results with
  //   their shards; a key check per deleted test would need an index led by test_pk.
  // The results table is rebuilt (its UNIQUE and indexes change); rows keep their pk.
  `
  CREATE TABLE tests (
    pk        INTEGER PRIMARY KEY,
    run_pk    INTEGER NOT NULL REFERENCES runs (pk) ON DELETE CASCADE,
    test_id   TEXT NOT NULL,
    suite     TEXT,
    classname TEXT,
    name      TEXT,
    UNIQUE (run_pk, test_id)
  );
  INSERT INTO tests (run_pk, test_id, suite, classname, name)
    SELECT r.run_pk, r.test_id, r.suite, r.classname, r.name FROM results r
    WHERE r.pk = (SELECT min(x.pk) FROM results x WHERE x.run_pk = r.run_pk AND x.test_id = r.test_id)
    ORDER BY r.pk;
  CREATE TABLE results_v4 (
    pk           INTEGER PRIMARY KEY,
    shard_pk     INTEGER NOT NULL REFERENCES shards (pk) ON DELETE CASCADE,
    run_pk       INTEGER NOT NULL,
    attempt_no   INTEGER NOT NULL,
    test_pk      INTEGER NOT NULL,
    status       INTEGER NOT NULL CHECK (status BETWEEN 0 AND 3),
    duration_ms  REAL NOT NULL DEFAULT 0,
    file         TEXT,
    line         INTEGER,
    message      TEXT,
    type         TEXT,
    details      TEXT,
    stdout       TEXT,
    stderr       TEXT,
    property_set INTEGER,
    properties   TEXT,
    retries      TEXT,
    suite        TEXT,
    classname    TEXT,
    name         TEXT,
    UNIQUE (shard_pk, test_pk)
  );
  INSERT INTO results_v4 (pk, shard_pk, run_pk, attempt_no, test_pk, status, duration_ms, file, line,
      message, type, details, stdout, stderr, property_set, properties, retries, suite, classname, name)
    SELECT r.pk, r.shard_pk, r.run_pk, r.attempt_no, t.pk,
      CASE r.status WHEN 'error' THEN 3 WHEN 'failed' THEN 2 WHEN 'passed' THEN 1 ELSE 0 END,
      r.duration_ms, r.file, r.line,
      r.message, r.type, r.details, r.stdout, r.stderr, r.property_set, r.properties, r.retries,
      CASE WHEN r.suite = t.suite THEN NULL ELSE r.suite END,
      CASE WHEN r.classname = t.classname THEN NULL ELSE r.classname END,
      CASE WHEN r.name = t.name THEN NULL ELSE r.name END
    FROM results r JOIN tests t ON t.run_pk = r.run_pk AND t.test_id = r.test_id;
  -- Encoded after the copy, which compared with the plain values. suite first: it compares with the
  -- classname as stored.
  UPDATE tests SET suite = NULL WHERE suite = classname;
  UPDATE tests SET classname = NULL, name = NULL
    WHERE test_id = classname || '::' || name AND instr(test_id, '::') = length(classname) + 1;
  DROP TABLE results;
  ALTER TABLE results_v4 RENAME TO results;
  CREATE INDEX results_current ON results (run_pk, test_pk, attempt_no, status);
  CREATE INDEX results_failing ON results (run_pk, test_pk, attempt_no, status) WHERE status >= 2;
  CREATE INDEX results_evidence ON results (run_pk, test_pk) WHERE retries IS NOT NULL;
  `,
  // Retention (issue 13): deleting a run makes SQLite look for rows pointing at it through
  // runs.superseded_by (its history tries); unindexed, that is a scan of the whole runs table per
  // deleted run (9 ms at 45 000 runs, 0.1 ms with the index: reporter/bench/retention.mjs).
  `
  CREATE INDEX runs_superseded ON runs (superseded_by);
  `,
];

/** Applies the migrations the database has not seen yet, each in its own transaction. */
export function migrate(db: Database.Database): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `database schema version ${current} is newer than this dozhim-reporter knows (${MIGRATIONS.length}); upgrade dozhim-reporter`,
    );
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return MIGRATIONS.length;
}
