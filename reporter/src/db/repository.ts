import { createHash } from 'node:crypto';
import { countStatuses, type StatusCounts, type TestResult, type TestStatus } from '@dozhim/core';
import type Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import { type AttemptSummary, dedupeById, type RunProgress } from '../snapshot.js';
import { checkResultCaps, DEFAULT_RESULT_CAPS, type ResultCaps } from '../truncate.js';
import type {
  AttemptPatch,
  AttemptRecord,
  RunMeta,
  RunRecord,
  ShardRecord,
  StoredResult,
} from './records.js';
import { AttemptGapError, WriteConflictError } from './records.js';
import {
  type AttemptRow,
  emptyToNull,
  jsonOrNull,
  type ResultRow,
  type RunRow,
  toAttempt,
  toResult,
  toRun,
} from './rows.js';

export * from './records.js';

function hasDuplicateIds(results: readonly TestResult[]): boolean {
  const seen = new Set<string>();
  for (const r of results) {
    if (seen.has(r.id)) return true;
    seen.add(r.id);
  }
  return false;
}

/** Same keys and values (insertion order aside). */
function sameProperties(a: Record<string, string>, b: Record<string, string>): boolean {
  if (a === b) return true;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) if (a[k] !== b[k] || !Object.hasOwn(b, k)) return false;
  return true;
}

/** Column lists: the lean one serves listings and decisions, the full one the merged report. */
const LEAN_COLUMNS =
  'r.attempt_no, s.name AS shard, r.test_id, r.suite, r.classname, r.name, r.file, r.line, r.status, r.duration_ms, r.message, r.type, r.retries';
// Properties: the shared set when the row has one, else the inline JSON of rows stored before sets.
const FULL_COLUMNS = `${LEAN_COLUMNS}, r.details, r.stdout, r.stderr, coalesce(ps.json, r.properties) AS properties`;
const FULL_FROM =
  'results r JOIN shards s ON s.pk = r.shard_pk LEFT JOIN property_sets ps ON ps.pk = r.property_set';

/** Status severity as SQL (core STATUS_SEVERITY: error 3 > failed 2 > passed 1 > skipped 0). */
const SEVERITY_SQL = "CASE r.status WHEN 'error' THEN 3 WHEN 'failed' THEN 2 WHEN 'passed' THEN 1 ELSE 0 END";
const BY_SEVERITY: readonly TestStatus[] = ['skipped', 'passed', 'failed', 'error'];

/** A row's columns in insertResult's positional order. */
type ResultValues = [
  shardPk: number,
  runPk: number,
  attempt: number,
  id: string,
  suite: string,
  classname: string,
  name: string,
  file: string | null,
  line: number | null,
  status: string,
  durationMs: number,
  message: string | null,
  type: string | null,
  details: string | null,
  stdout: string | null,
  stderr: string | null,
  propertySet: number | null,
  retries: string | null,
];
const RESULT_COLUMNS = `shard_pk, run_pk, attempt_no, test_id, suite, classname, name, file, line, status,
  duration_ms, message, type, details, stdout, stderr, property_set, retries`;
const RESULT_PARAMS = Array.from({ length: 18 }, () => '?').join(', ');

/**
 * All SQL of the reporter, as prepared statements. Every write method is one transaction, so an
 * upload is stored completely or not at all, and a re-upload replaces its shard atomically.
 */
export class Repository {
  private readonly s;
  /** Replaces the shard's results; returns the shard's counts as stored. */
  readonly replaceShard: (
    runId: string,
    attempt: number,
    shard: string,
    results: readonly TestResult[],
    now: string,
    expectedTry?: number,
  ) => StatusCounts;
  /** Inserts or updates results per test id in the shard; returns the shard's counts as stored. */
  readonly upsertResults: (
    runId: string,
    attempt: number,
    shard: string,
    results: readonly TestResult[],
    now: string,
    expectedTry?: number,
  ) => StatusCounts;
  readonly patchAttempt: (
    runId: string,
    attempt: number,
    patch: AttemptPatch,
    now: string,
    expectedTry?: number,
  ) => AttemptRecord;
  /**
   * Starts a new try of the run id: its attempts (if any) move to a history row `<id>#try<n>`, so
   * every read of the run sees only the new try. Returns the run as it is now.
   */
  readonly newTry: (runId: string, now: string) => { run: RunRecord; superseded: number };
  readonly upsertRun: (runId: string, meta: RunMeta, now: string) => { run: RunRecord; created: boolean };

  constructor(
    private readonly db: Database.Database,
    /** Checked inside every write's transaction: an over-long identity never reaches the table. */
    private readonly caps: ResultCaps = DEFAULT_RESULT_CAPS,
  ) {
    this.s = {
      ping: db.prepare('SELECT 1 AS ok'),
      runByKey: db.prepare<[string], RunRow>('SELECT * FROM runs WHERE run_id = ?'),
      insertRun: db.prepare(
        `INSERT INTO runs (run_id, project, branch, commit_sha, ci_url, labels, created_at, updated_at)
         VALUES (@runId, @project, @branch, @commit, @ciUrl, @labels, @now, @now)`,
      ),
      updateRun: db.prepare(
        `UPDATE runs SET project = coalesce(@project, project), branch = coalesce(@branch, branch),
           commit_sha = coalesce(@commit, commit_sha), ci_url = coalesce(@ciUrl, ci_url),
           labels = coalesce(@labels, labels), updated_at = @now
         WHERE pk = @pk`,
      ),
      touchRun: db.prepare('UPDATE runs SET updated_at = ? WHERE pk = ?'),
      listRuns: db.prepare<
        [{ project: string | null; branch: string | null; before: number; limit: number }],
        RunRow
      >(
        `SELECT * FROM runs WHERE (@project IS NULL OR project = @project) AND (@branch IS NULL OR branch = @branch)
           AND superseded_by IS NULL AND pk < @before ORDER BY pk DESC LIMIT @limit`,
      ),
      attempt: db.prepare<[number, number], AttemptRow>(
        'SELECT * FROM attempts WHERE run_pk = ? AND number = ?',
      ),
      attempts: db.prepare<[number], AttemptRow>('SELECT * FROM attempts WHERE run_pk = ? ORDER BY number'),
      lastAttempt: db
        .prepare<[number], number | null>('SELECT max(number) FROM attempts WHERE run_pk = ?')
        .pluck(),
      insertHistory: db.prepare(
        `INSERT INTO runs (run_id, project, branch, commit_sha, ci_url, labels, try, superseded_by, created_at, updated_at)
         SELECT run_id || '#try' || try, project, branch, commit_sha, ci_url, labels, try, pk, created_at, @now
         FROM runs WHERE pk = @pk`,
      ),
      moveAttempts: db.prepare('UPDATE attempts SET run_pk = @to WHERE run_pk = @from'),
      moveResults: db.prepare('UPDATE results SET run_pk = @to WHERE run_pk = @from'),
      bumpTry: db.prepare('UPDATE runs SET try = try + 1, updated_at = @now WHERE pk = @pk'),
      insertAttempt: db.prepare(
        'INSERT INTO attempts (run_pk, number, created_at, updated_at) VALUES (?, ?, ?, ?) RETURNING pk',
      ),
      updateAttempt: db.prepare(
        `UPDATE attempts SET threads = coalesce(@threads, threads), selected_count = coalesce(@selectedCount, selected_count),
           started_at = coalesce(@startedAt, started_at), finished_at = coalesce(@finishedAt, finished_at),
           exit_code = coalesce(@exitCode, exit_code), decision = coalesce(@decision, decision),
           shard_total = coalesce(@shardTotal, shard_total), updated_at = @now
         WHERE pk = @pk`,
      ),
      shard: db.prepare<[number, string], { pk: number }>(
        'SELECT pk FROM shards WHERE attempt_pk = ? AND name = ?',
      ),
      insertShard: db.prepare(
        'INSERT INTO shards (attempt_pk, name, uploaded_at) VALUES (?, ?, ?) RETURNING pk',
      ),
      touchShard: db.prepare('UPDATE shards SET uploaded_at = ? WHERE pk = ?'),
      shards: db.prepare<[number], ShardRecord>(
        `SELECT a.number AS attempt, s.name, s.uploaded_at AS uploadedAt FROM shards s
         JOIN attempts a ON a.pk = s.attempt_pk WHERE a.run_pk = ? ORDER BY a.number, s.name`,
      ),
      shardCounts: db.prepare<[number], { status: TestStatus; n: number }>(
        'SELECT status, count(*) AS n FROM results WHERE shard_pk = ? GROUP BY status',
      ),
      setShardCounts: db.prepare<[number, number, number, number, number]>(
        'UPDATE shards SET passed = ?, failed = ?, error = ?, skipped = ? WHERE pk = ?',
      ),
      deleteShardResults: db.prepare('DELETE FROM results WHERE shard_pk = ?'),
      // After the shard's rows were deleted nothing can conflict: a plain INSERT, positional binds.
      insertResult: db.prepare<ResultValues>(
        `INSERT INTO results (${RESULT_COLUMNS}) VALUES (${RESULT_PARAMS})`,
      ),
      // JSON batches without replace update per test id. properties = NULL: the set replaces any
      // inline JSON of a row stored before property sets.
      upsertResult: db.prepare<ResultValues>(
        `INSERT INTO results (${RESULT_COLUMNS}) VALUES (${RESULT_PARAMS})
         ON CONFLICT (shard_pk, test_id) DO UPDATE SET suite = excluded.suite, classname = excluded.classname,
           name = excluded.name, file = excluded.file, line = excluded.line, status = excluded.status,
           duration_ms = excluded.duration_ms, message = excluded.message, type = excluded.type,
           details = excluded.details, stdout = excluded.stdout, stderr = excluded.stderr,
           property_set = excluded.property_set, properties = NULL, retries = excluded.retries`,
      ),
      propertySet: db.prepare<[string], number>('SELECT pk FROM property_sets WHERE hash = ?').pluck(),
      insertPropertySet: db.prepare<[string, string]>('INSERT INTO property_sets (hash, json) VALUES (?, ?)'),
      leanResults: db.prepare<[number], ResultRow>(
        `SELECT ${LEAN_COLUMNS} FROM results r JOIN shards s ON s.pk = r.shard_pk WHERE r.run_pk = ?`,
      ),
      fullResults: db.prepare<[number], ResultRow>(
        `SELECT ${FULL_COLUMNS} FROM ${FULL_FROM} WHERE r.run_pk = ?`,
      ),
      // One attempt's records in (test id, shard) order from a keyset cursor: SQL, no full-run load.
      attemptPage: db.prepare<
        [
          {
            runPk: number;
            attempt: number;
            filter: string;
            afterId: string | null;
            afterShard: string;
            limit: number;
          },
        ],
        ResultRow
      >(
        `SELECT ${LEAN_COLUMNS} FROM results r JOIN shards s ON s.pk = r.shard_pk
         WHERE r.run_pk = @runPk AND r.attempt_no = @attempt
           AND (@filter = 'all' OR (@filter = 'failed' AND r.status IN ('failed', 'error'))
                OR (@filter = 'passed' AND r.status = 'passed'))
           AND (@afterId IS NULL OR (r.test_id, s.name) > (@afterId, @afterShard))
         ORDER BY r.test_id, s.name LIMIT @limit`,
      ),
      // Current state per test = its records in the latest attempt that ran it; failing if any of those
      // failed (a failure in one shard is never hidden by a pass in another). So: the failing rows
      // (partial index results_failing, O(failures)) with no row of the same test in a later attempt
      // (one seek in results_current each). The run's passing rows are never read.
      failingIds: db
        .prepare<[number, number], string>(
          `SELECT DISTINCT f.test_id FROM results f INDEXED BY results_failing
           WHERE f.run_pk = ? AND f.status IN ('failed', 'error')
             AND NOT EXISTS (SELECT 1 FROM results l
                             WHERE l.run_pk = ? AND l.test_id = f.test_id AND l.attempt_no > f.attempt_no)`,
        )
        .pluck(),
      // Every test that ever failed / carried retry evidence in the run (both partial indexes).
      everFailedIds: db
        .prepare<[number], string>(
          "SELECT DISTINCT test_id FROM results INDEXED BY results_failing WHERE run_pk = ? AND status IN ('failed', 'error')",
        )
        .pluck(),
      evidenceIds: db
        .prepare<[number], string>(
          'SELECT DISTINCT test_id FROM results INDEXED BY results_evidence WHERE run_pk = ? AND retries IS NOT NULL',
        )
        .pluck(),
      // Attempt counts: each test once per attempt, its most severe record (as dedupeById). Grouped by
      // (test_id, attempt_no) so the covering index results_current is read in order, no temp b-tree.
      attemptCounts: db.prepare<[number], { attempt: number; sev: number; n: number }>(
        `SELECT attempt, sev, count(*) AS n FROM
           (SELECT r.attempt_no AS attempt, max(${SEVERITY_SQL}) AS sev FROM results r
            WHERE r.run_pk = ? GROUP BY r.test_id, r.attempt_no)
         GROUP BY attempt, sev`,
      ),
      // Current totals: per test, its latest attempt then its most severe record there, packed as
      // attempt*4+severity into one MAX (one ordered scan of results_current).
      currentCounts: db.prepare<[number], Record<TestStatus, number | null>>(
        `SELECT sum(sev = 0) AS skipped, sum(sev = 1) AS passed, sum(sev = 2) AS failed, sum(sev = 3) AS error FROM
           (SELECT max(r.attempt_no * 4 + ${SEVERITY_SQL}) % 4 AS sev FROM results r
            WHERE r.run_pk = ? GROUP BY r.test_id)`,
      ),
      shardsWithCounts: db.prepare<
        [number],
        ShardRecord & { passed: number; failed: number; error: number; skipped: number }
      >(
        `SELECT a.number AS attempt, s.name, s.uploaded_at AS uploadedAt, s.passed, s.failed, s.error, s.skipped
         FROM shards s JOIN attempts a ON a.pk = s.attempt_pk WHERE a.run_pk = ? ORDER BY a.number, s.name`,
      ),
    };

    /**
     * The write guards, checked inside the write's transaction: a writer of a superseded try, and a
     * write to an attempt after a later one started (a late or retried shard job), are refused, so
     * nothing changes the results a later decision was already made on.
     */
    const guard = (runId: string, runPk: number, runTry: number, attempt: number, expectedTry?: number) => {
      if (expectedTry !== undefined && expectedTry !== runTry) {
        throw new WriteConflictError(
          'try_superseded',
          `run "${runId}" is at try ${runTry}; this writer's try ${expectedTry} was superseded by a newer \`dozhim run\` of the same run id`,
          { runId, try: runTry, expectedTry },
        );
      }
      const last = this.s.lastAttempt.get(runPk) ?? 0;
      if (last > attempt) {
        throw new WriteConflictError(
          'attempt_closed',
          `attempt ${attempt} of run "${runId}" can no longer change: attempt ${last} already started from its results (a late or retried job of attempt ${attempt}?)`,
          { runId, attempt, lastAttempt: last },
        );
      }
    };
    const ensureRun = (runId: string, now: string, attempt?: number, expectedTry?: number): number => {
      const row = this.s.runByKey.get(runId);
      if (row) {
        if (attempt !== undefined) guard(runId, row.pk, row.try, attempt, expectedTry);
        this.s.touchRun.run(now, row.pk);
        return row.pk;
      }
      if (expectedTry !== undefined && expectedTry !== 1) guard(runId, -1, 1, attempt ?? 1, expectedTry);
      const info = this.s.insertRun.run({
        runId,
        project: null,
        branch: null,
        commit: null,
        ciUrl: null,
        labels: '{}',
        now,
      });
      return Number(info.lastInsertRowid);
    };
    const ensureAttempt = (runId: string, runPk: number, attempt: number, now: string): number => {
      const row = this.s.attempt.get(runPk, attempt);
      if (row) return row.pk;
      if (attempt > 1 && !this.s.attempt.get(runPk, attempt - 1)) throw new AttemptGapError(runId, attempt);
      return (this.s.insertAttempt.get(runPk, attempt, now, now) as { pk: number }).pk;
    };
    const ensureShard = (attemptPk: number, shard: string, now: string): number => {
      const row = this.s.shard.get(attemptPk, shard);
      if (row) {
        this.s.touchShard.run(now, row.pk);
        return row.pk;
      }
      return (this.s.insertShard.get(attemptPk, shard, now) as { pk: number }).pk;
    };
    /** The pk of a property set, stored on first sight (one row per distinct set, ever). */
    const propertySetPk = (json: string): number => {
      const hash = createHash('sha256').update(json).digest('base64url');
      const pk = this.s.propertySet.get(hash);
      if (pk !== undefined) return pk;
      return Number(this.s.insertPropertySet.run(hash, json).lastInsertRowid);
    };
    const insertAll = (
      statement: Statement<ResultValues>,
      runPk: number,
      attempt: number,
      shardPk: number,
      results: readonly TestResult[],
    ): void => {
      // Consecutive results of one suite carry equal copies of its properties: compare them shallowly
      // with the previous result's instead of serializing each copy.
      checkResultCaps(results, this.caps);
      let prevProps: Record<string, string> | undefined;
      let prevSet: number | null = null;
      for (const r of results) {
        if (prevProps === undefined || !sameProperties(prevProps, r.properties)) {
          const json = emptyToNull(r.properties);
          prevSet = json === null ? null : propertySetPk(json);
          prevProps = r.properties;
        }
        statement.run(
          shardPk,
          runPk,
          attempt,
          r.id,
          r.suite,
          r.classname,
          r.name,
          r.file ?? null,
          r.line ?? null,
          r.status,
          r.durationMs,
          r.message ?? null,
          r.type ?? null,
          r.details ?? null,
          r.stdout ?? null,
          r.stderr ?? null,
          prevSet,
          emptyToNull(r.retries),
        );
      }
    };
    const storeCounts = (shardPk: number, c: StatusCounts): StatusCounts => {
      this.s.setShardCounts.run(c.passed, c.failed, c.error, c.skipped, shardPk);
      return c;
    };
    const countShard = (shardPk: number): StatusCounts => {
      const c: StatusCounts = { total: 0, passed: 0, failed: 0, error: 0, skipped: 0 };
      for (const { status, n } of this.s.shardCounts.all(shardPk)) {
        c[status] += n;
        c.total += n;
      }
      return c;
    };

    this.replaceShard = db.transaction((runId, attempt, shard, results, now, expectedTry) => {
      const runPk = ensureRun(runId, now, attempt, expectedTry);
      const shardPk = ensureShard(ensureAttempt(runId, runPk, attempt, now), shard, now);
      this.s.deleteShardResults.run(shardPk);
      // The parser gives one result per id; a caller's duplicate would hit UNIQUE, so fold it the way
      // reads do (the more severe record stands) rather than fail or let the last one win silently.
      const rows = hasDuplicateIds(results) ? dedupeById(results) : results;
      insertAll(this.s.insertResult, runPk, attempt, shardPk, rows);
      // Counted from the rows just written, not re-queried: the shard holds exactly these.
      return storeCounts(shardPk, countStatuses(rows));
    });
    this.upsertResults = db.transaction((runId, attempt, shard, results, now, expectedTry) => {
      const runPk = ensureRun(runId, now, attempt, expectedTry);
      const shardPk = ensureShard(ensureAttempt(runId, runPk, attempt, now), shard, now);
      insertAll(this.s.upsertResult, runPk, attempt, shardPk, results);
      // Rows from earlier batches count too: the shard's counts after the write.
      return storeCounts(shardPk, countShard(shardPk));
    });
    this.patchAttempt = db.transaction((runId, attempt, patch, now, expectedTry) => {
      const runPk = ensureRun(runId, now, attempt, expectedTry);
      const pk = ensureAttempt(runId, runPk, attempt, now);
      this.s.updateAttempt.run({
        pk,
        now,
        threads: patch.threads ?? null,
        selectedCount: patch.selectedCount ?? null,
        startedAt: patch.startedAt ?? null,
        finishedAt: patch.finishedAt ?? null,
        exitCode: patch.exitCode ?? null,
        decision: jsonOrNull(patch.decision),
        shardTotal: patch.shardTotal ?? null,
      });
      return toAttempt(this.s.attempt.get(runPk, attempt)!);
    });
    this.newTry = db.transaction((runId, now) => {
      const row = this.s.runByKey.get(runId);
      if (!row) {
        ensureRun(runId, now);
        return { run: toRun(this.s.runByKey.get(runId)!), superseded: 0 };
      }
      const superseded = this.s.lastAttempt.get(row.pk) ?? 0;
      // A run without attempts has nothing to supersede: the new try is the current one.
      if (superseded > 0) {
        const history = Number(this.s.insertHistory.run({ pk: row.pk, now }).lastInsertRowid);
        this.s.moveAttempts.run({ from: row.pk, to: history });
        this.s.moveResults.run({ from: row.pk, to: history });
        this.s.bumpTry.run({ pk: row.pk, now });
      }
      return { run: toRun(this.s.runByKey.get(runId)!), superseded };
    });
    this.upsertRun = db.transaction((runId, meta, now) => {
      const fields = {
        project: meta.project ?? null,
        branch: meta.branch ?? null,
        commit: meta.commit ?? null,
        ciUrl: meta.ciUrl ?? null,
        labels: jsonOrNull(meta.labels),
        now,
      };
      const existing = this.s.runByKey.get(runId);
      if (existing) this.s.updateRun.run({ ...fields, pk: existing.pk });
      else this.s.insertRun.run({ ...fields, runId, labels: fields.labels ?? '{}' });
      return { run: toRun(this.s.runByKey.get(runId)!), created: !existing };
    });
  }

  /**
   * EXPLAIN QUERY PLAN of every read whose cost could grow with a run (tests and the bench print
   * them): each detail line, e.g. `SEARCH f USING INDEX results_failing (run_pk=?)`.
   */
  hotQueryPlans(): Record<string, string[]> {
    // Each with parameters of the right shape (the plan does not depend on their values).
    const page = { runPk: 1, attempt: 1, filter: 'all', afterId: null, afterShard: '', limit: 1 };
    const hot: Record<string, [Statement<unknown[]>, unknown[]]> = {
      failingIds: [this.s.failingIds, [1, 1]],
      everFailedIds: [this.s.everFailedIds, [1]],
      evidenceIds: [this.s.evidenceIds, [1]],
      attemptCounts: [this.s.attemptCounts, [1]],
      currentCounts: [this.s.currentCounts, [1]],
      shardsWithCounts: [this.s.shardsWithCounts, [1]],
      attemptPage: [this.s.attemptPage as unknown as Statement<unknown[]>, [page]],
    };
    const plans: Record<string, string[]> = {};
    for (const [name, [statement, args]] of Object.entries(hot)) {
      const explain = this.db.prepare(`EXPLAIN QUERY PLAN ${statement.source}`);
      plans[name] = (explain.all(...args) as { detail: string }[]).map((p) => p.detail);
    }
    return plans;
  }

  /** The database file, for a second connection (the read worker); undefined when in memory. */
  get file(): string | undefined {
    return this.db.memory ? undefined : this.db.name;
  }

  /** Throws when the database does not answer (health check). */
  ping(): void {
    this.s.ping.get();
  }

  /** Internal key of a run, for the read methods below; undefined when unknown. */
  runKey(runId: string): { pk: number; run: RunRecord } | undefined {
    const row = this.s.runByKey.get(runId);
    return row ? { pk: row.pk, run: toRun(row) } : undefined;
  }

  /** Newest first; `before` is the cursor returned as `next` by the previous page. */
  listRuns(q: {
    project?: string | undefined;
    branch?: string | undefined;
    limit: number;
    before?: number | undefined;
  }): {
    runs: RunRecord[];
    next: number | null;
  } {
    const rows = this.s.listRuns.all({
      project: q.project ?? null,
      branch: q.branch ?? null,
      before: q.before ?? Number.MAX_SAFE_INTEGER,
      limit: q.limit + 1,
    });
    const page = rows.slice(0, q.limit);
    return { runs: page.map(toRun), next: rows.length > q.limit ? page[page.length - 1]!.pk : null };
  }

  attempts(runPk: number): AttemptRecord[] {
    return this.s.attempts.all(runPk).map(toAttempt);
  }

  shards(runPk: number): ShardRecord[] {
    return this.s.shards.all(runPk);
  }

  /** Every stored result of a run; `full` adds details, output and properties (for the merged report). */
  results(runPk: number, options: { full?: boolean } = {}): StoredResult[] {
    const rows = (options.full ? this.s.fullResults : this.s.leanResults).all(runPk);
    // One parse per distinct property set: results of a suite share the (read-only) object.
    const parsed = new Map<string, Record<string, string>>();
    return rows.map((row) => toResult(row, parsed));
  }

  /**
   * Sorted ids of the tests currently failed or errored (the legacy /failedTests answer). Sorted in JS,
   * not by SQLite's byte order, so the order is the same as core's runState().failing.
   */
  failingIds(runPk: number): string[] {
    return this.s.failingIds.all(runPk, runPk).sort();
  }

  /**
   * The run summary of GET /api/v1/runs/:id computed by SQL (GROUP BY counts over the covering index,
   * the failing and flaky sets from the partial indexes), equal to snapshot.ts summarizeRun() (the
   * core runState() fold), which a randomized test checks. Flaky = failed or carried retry evidence
   * at some point, and not failing now.
   */
  summary(runPk: number): RunProgress {
    const zero = (): StatusCounts => ({ total: 0, passed: 0, failed: 0, error: 0, skipped: 0 });
    const byAttempt = new Map<number, StatusCounts>();
    for (const { attempt, sev, n } of this.s.attemptCounts.all(runPk)) {
      const c = byAttempt.get(attempt) ?? zero();
      byAttempt.set(attempt, c);
      c[BY_SEVERITY[sev]!] += n;
      c.total += n;
    }
    const shards = this.s.shardsWithCounts.all(runPk);
    const attempts = this.attempts(runPk).map(
      (rec): AttemptSummary => ({
        ...rec,
        counts: byAttempt.get(rec.attempt) ?? zero(),
        shards: shards
          .filter((s) => s.attempt === rec.attempt)
          .map((s) => ({
            name: s.name,
            uploadedAt: s.uploadedAt,
            counts: {
              total: s.passed + s.failed + s.error + s.skipped,
              passed: s.passed,
              failed: s.failed,
              error: s.error,
              skipped: s.skipped,
            },
          })),
      }),
    );
    const failing = this.failingIds(runPk);
    const failingSet = new Set(failing);
    const flaky = [...new Set([...this.s.everFailedIds.all(runPk), ...this.s.evidenceIds.all(runPk)])]
      .filter((id) => !failingSet.has(id))
      .sort();
    const totals = { ...zero(), flaky: flaky.length };
    const current = this.s.currentCounts.get(runPk);
    for (const status of BY_SEVERITY) {
      const n = current?.[status] ?? 0;
      totals[status] = n;
      totals.total += n;
    }
    return { attempts, current: { failing, flaky, totals } };
  }

  /** A page of one attempt's records, ordered by (test id, shard), after the given key. */
  attemptPage(q: {
    runPk: number;
    attempt: number;
    filter: 'all' | 'failed' | 'passed';
    after?: readonly [string, string] | undefined;
    limit: number;
  }): StoredResult[] {
    return this.s.attemptPage
      .all({
        runPk: q.runPk,
        attempt: q.attempt,
        filter: q.filter,
        afterId: q.after?.[0] ?? null,
        afterShard: q.after?.[1] ?? '',
        limit: q.limit,
      })
      .map((row) => toResult(row));
  }
}
