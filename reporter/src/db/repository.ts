import type { StatusCounts, TestResult, TestStatus } from '@dozhim/core';
import type Database from 'better-sqlite3';
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

/** Column lists: the lean one serves listings and decisions, the full one the merged report. */
const LEAN_COLUMNS =
  'r.attempt_no, s.name AS shard, r.test_id, r.suite, r.classname, r.name, r.file, r.line, r.status, r.duration_ms, r.message, r.type, r.retries';
const FULL_COLUMNS = `${LEAN_COLUMNS}, r.details, r.stdout, r.stderr, r.properties`;

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

  constructor(db: Database.Database) {
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
      deleteShardResults: db.prepare('DELETE FROM results WHERE shard_pk = ?'),
      insertResult: db.prepare(
        `INSERT INTO results (shard_pk, run_pk, attempt_no, test_id, suite, classname, name, file, line, status,
           duration_ms, message, type, details, stdout, stderr, properties, retries)
         VALUES (@shardPk, @runPk, @attempt, @id, @suite, @classname, @name, @file, @line, @status,
           @durationMs, @message, @type, @details, @stdout, @stderr, @properties, @retries)
         ON CONFLICT (shard_pk, test_id) DO UPDATE SET suite = excluded.suite, classname = excluded.classname,
           name = excluded.name, file = excluded.file, line = excluded.line, status = excluded.status,
           duration_ms = excluded.duration_ms, message = excluded.message, type = excluded.type,
           details = excluded.details, stdout = excluded.stdout, stderr = excluded.stderr,
           properties = excluded.properties, retries = excluded.retries`,
      ),
      leanResults: db.prepare<[number], ResultRow>(
        `SELECT ${LEAN_COLUMNS} FROM results r JOIN shards s ON s.pk = r.shard_pk WHERE r.run_pk = ?`,
      ),
      fullResults: db.prepare<[number], ResultRow>(
        `SELECT ${FULL_COLUMNS} FROM results r JOIN shards s ON s.pk = r.shard_pk WHERE r.run_pk = ?`,
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
      // failed (a failure in one shard is never hidden by a pass in another). attempt*2+isFailure packs
      // both into one MAX so the covering index answers in a single ordered scan.
      failingIds: db
        .prepare<[number], string>(
          `SELECT test_id FROM results WHERE run_pk = ? GROUP BY test_id
           HAVING max(attempt_no * 2 + (status IN ('failed', 'error'))) % 2 = 1`,
        )
        .pluck(),
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
    const insertAll = (
      runPk: number,
      attempt: number,
      shardPk: number,
      results: readonly TestResult[],
    ): void => {
      for (const r of results) {
        this.s.insertResult.run({
          shardPk,
          runPk,
          attempt,
          id: r.id,
          suite: r.suite,
          classname: r.classname,
          name: r.name,
          file: r.file ?? null,
          line: r.line ?? null,
          status: r.status,
          durationMs: r.durationMs,
          message: r.message ?? null,
          type: r.type ?? null,
          details: r.details ?? null,
          stdout: r.stdout ?? null,
          stderr: r.stderr ?? null,
          properties: emptyToNull(r.properties),
          retries: emptyToNull(r.retries),
        });
      }
    };

    const shardCounts = (shardPk: number): StatusCounts => {
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
      insertAll(runPk, attempt, shardPk, results);
      return shardCounts(shardPk);
    });
    this.upsertResults = db.transaction((runId, attempt, shard, results, now, expectedTry) => {
      const runPk = ensureRun(runId, now, attempt, expectedTry);
      const shardPk = ensureShard(ensureAttempt(runId, runPk, attempt, now), shard, now);
      insertAll(runPk, attempt, shardPk, results);
      return shardCounts(shardPk);
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
    return (options.full ? this.s.fullResults : this.s.leanResults).all(runPk).map(toResult);
  }

  /**
   * Sorted ids of the tests currently failed or errored (the legacy /failedTests answer). Sorted in JS,
   * not by SQLite's byte order, so the order is the same as core's runState().failing.
   */
  failingIds(runPk: number): string[] {
    return this.s.failingIds.all(runPk).sort();
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
      .map(toResult);
  }
}
