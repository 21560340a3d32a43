import { createHash } from 'node:crypto';
import { countStatuses, type StatusCounts, type TestResult, type TestStatus } from '@dozhim/core';
import type Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import { oneResultPerId } from '../dedupe.js';
import type { RunProgress } from '../snapshot.js';
import { checkResultCaps, DEFAULT_RESULT_CAPS, ResultCapError, type ResultCaps } from '../truncate.js';
import type {
  AttemptPatch,
  AttemptRecord,
  RunMeta,
  RunRecord,
  ShardRecord,
  ShardTarget,
  StoredResult,
  WriteMode,
} from './records.js';
import { AttemptGapError, WriteConflictError } from './records.js';
import {
  type AttemptRow,
  decodeTestIdentity,
  emptyToNull,
  encodeTestIdentity,
  jsonOrNull,
  type ResultRow,
  type RunRow,
  severityOf,
  statusOf,
  toAttempt,
  toResult,
  toRun,
  updateAttemptParams,
} from './rows.js';
import * as SQL from './sql.js';
import { assembleSummary } from './summary.js';

export * from './records.js';

export const runCapError = (runId: string, limit: number, actual: number): ResultCapError =>
  new ResultCapError(
    'too_many_results',
    `run "${runId}" would hold ${actual} results with this upload (all attempts), at most ${limit} are stored per run (DOZHIM_MAX_RUN_RESULTS); nothing of this upload was stored`,
    { limit, actual, runId },
  );

/** Same own keys and values (insertion order aside); no key arrays built (runs once per row). */
function sameProperties(a: Record<string, string>, b: Record<string, string>): boolean {
  if (a === b) return true;
  let n = 0;
  for (const k in a) {
    if (!Object.hasOwn(a, k)) continue;
    if (a[k] !== b[k] || !Object.hasOwn(b, k)) return false;
    n++;
  }
  for (const k in b) if (Object.hasOwn(b, k) && --n < 0) return false;
  return n === 0;
}

/** A row's columns in SQL.INSERT_RESULT's positional order. */
type ResultValues = [
  shardPk: number,
  runPk: number,
  attempt: number,
  testPk: number,
  status: number,
  durationMs: number,
  file: string | null,
  line: number | null,
  message: string | null,
  type: string | null,
  details: string | null,
  stdout: string | null,
  stderr: string | null,
  propertySet: number | null,
  retries: string | null,
  suite: string | null,
  classname: string | null,
  name: string | null,
];

/**
 * All SQL of the reporter, as prepared statements. Every write method is one transaction, so an
 * upload is stored completely or not at all, and a re-upload replaces its shard atomically.
 */
export class Repository {
  private readonly s;
  /**
   * Stores one shard's results in one transaction (write guards and caps inside it) and returns the
   * shard's counts as stored. `replace`: the shard holds exactly these results afterwards (a JUnit
   * upload, a re-upload); `merge`: results are inserted or updated per test id, the shard's other
   * rows stay (JSON batches).
   */
  readonly writeShard: (target: ShardTarget, results: readonly TestResult[], mode: WriteMode) => StatusCounts;
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
    /** The connection (retention.ts runs its own statements on it, in its own transactions). */
    readonly db: Database.Database,
    /** Checked inside every write's transaction: an over-long identity never reaches the table. */
    private readonly caps: ResultCaps = DEFAULT_RESULT_CAPS,
  ) {
    this.s = {
      ping: db.prepare(SQL.PING),
      writeVersion: db.prepare<[], string>(SQL.WRITE_VERSION).pluck(),
      runByKey: db.prepare<[string], RunRow>(SQL.RUN_BY_KEY),
      runExists: db.prepare<[number]>(SQL.RUN_EXISTS).pluck(),
      insertRun: db.prepare<
        [string, string | null, string | null, string | null, string | null, string, string, string]
      >(SQL.INSERT_RUN),
      updateRun: db.prepare<
        [string | null, string | null, string | null, string | null, string | null, string, number]
      >(SQL.UPDATE_RUN),
      touchRun: db.prepare<[string, number]>(SQL.TOUCH_RUN),
      listRuns: db.prepare<
        [string | null, string | null, string | null, string | null, number, number],
        RunRow
      >(SQL.LIST_RUNS),
      attempt: db.prepare<[number, number], AttemptRow>(SQL.ATTEMPT),
      attempts: db.prepare<[number], AttemptRow>(SQL.ATTEMPTS),
      lastAttempt: db.prepare<[number], number | null>(SQL.LAST_ATTEMPT).pluck(),
      insertHistory: db.prepare<[string, number]>(SQL.INSERT_HISTORY),
      moveAttempts: db.prepare<[number, number]>(SQL.MOVE_ATTEMPTS),
      moveResults: db.prepare<[number, number]>(SQL.MOVE_RESULTS),
      moveTests: db.prepare<[number, number]>(SQL.MOVE_TESTS),
      test: db.prepare<
        [number, string],
        { pk: number; suite: string | null; classname: string | null; name: string | null }
      >(SQL.TEST),
      insertTest: db.prepare<[number, string, string | null, string | null, string | null]>(SQL.INSERT_TEST),
      bumpTry: db.prepare<[string, number]>(SQL.BUMP_TRY),
      insertAttempt: db.prepare<[number, number, string, string], { pk: number }>(SQL.INSERT_ATTEMPT),
      updateAttempt: db.prepare<
        [
          number | null,
          number | null,
          string | null,
          string | null,
          number | null,
          string | null,
          number | null,
          string,
          number,
        ]
      >(SQL.UPDATE_ATTEMPT),
      shard: db.prepare<[number, string], { pk: number }>(SQL.SHARD),
      insertShard: db.prepare<[number, string, string], { pk: number }>(SQL.INSERT_SHARD),
      touchShard: db.prepare<[string, number]>(SQL.TOUCH_SHARD),
      shards: db.prepare<[number], ShardRecord>(SQL.SHARDS),
      shardCounts: db.prepare<[number], { status: number; n: number }>(SQL.SHARD_COUNTS),
      setShardCounts: db.prepare<[number, number, number, number, number]>(SQL.SET_SHARD_COUNTS),
      deleteShardResults: db.prepare<[number]>(SQL.DELETE_SHARD_RESULTS),
      insertResult: db.prepare<ResultValues>(SQL.INSERT_RESULT),
      insertResults: db.prepare<unknown[]>(SQL.INSERT_RESULTS),
      upsertResult: db.prepare<ResultValues>(SQL.UPSERT_RESULT),
      propertySet: db.prepare<[string], number>(SQL.PROPERTY_SET).pluck(),
      insertPropertySet: db.prepare<[string, string]>(SQL.INSERT_PROPERTY_SET),
      leanResults: db.prepare<[number], ResultRow>(SQL.LEAN_RESULTS),
      fullResults: db.prepare<[number], ResultRow>(SQL.FULL_RESULTS),
      attemptPage: db.prepare<
        [
          number,
          string,
          number,
          string,
          string,
          string,
          string | null,
          string | null,
          string | null,
          string,
          number,
        ],
        ResultRow
      >(SQL.ATTEMPT_PAGE),
      failingIds: db.prepare<[number, number], string>(SQL.FAILING_IDS).pluck(),
      everFailedIds: db.prepare<[number], string>(SQL.EVER_FAILED_IDS).pluck(),
      evidenceIds: db.prepare<[number], string>(SQL.EVIDENCE_IDS).pluck(),
      attemptCounts: db.prepare<[number], { attempt: number; sev: number; n: number }>(SQL.ATTEMPT_COUNTS),
      currentCounts: db.prepare<[number], Record<TestStatus, number | null>>(SQL.CURRENT_COUNTS),
      runResultCount: db.prepare<[number], number>(SQL.RUN_RESULT_COUNT).pluck(),
      shardResultCount: db.prepare<[number], number>(SQL.SHARD_RESULT_COUNT).pluck(),
      shardsWithCounts: db.prepare<
        [number],
        ShardRecord & { passed: number; failed: number; error: number; skipped: number }
      >(SQL.SHARDS_WITH_COUNTS),
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
      const info = this.s.insertRun.run(runId, null, null, null, null, '{}', now, now);
      return Number(info.lastInsertRowid);
    };
    const ensureAttempt = (runId: string, runPk: number, attempt: number, now: string): number => {
      const row = this.s.attempt.get(runPk, attempt);
      if (row) return row.pk;
      if (attempt > 1 && !this.s.attempt.get(runPk, attempt - 1)) throw new AttemptGapError(runId, attempt);
      return this.s.insertAttempt.get(runPk, attempt, now, now)!.pk;
    };
    const ensureShard = (attemptPk: number, shard: string, now: string): number => {
      const row = this.s.shard.get(attemptPk, shard);
      if (row) {
        this.s.touchShard.run(now, row.pk);
        return row.pk;
      }
      return this.s.insertShard.get(attemptPk, shard, now)!.pk;
    };
    /** The pk of a property set, stored on first sight (one row per distinct set, ever). */
    const propertySetPk = (json: string): number => {
      const hash = createHash('sha256').update(json).digest('base64url');
      const pk = this.s.propertySet.get(hash);
      if (pk !== undefined) return pk;
      return Number(this.s.insertPropertySet.run(hash, json).lastInsertRowid);
    };
    /**
     * The run's key of a test, its row written on first sight; and the record's own identity where
     * it differs from the one stored for its id (NULL = the test's), so reads give back exactly what
     * was written. Written into `out` (no allocation per row).
     */
    const testKey = (runPk: number, r: TestResult, out: unknown[], at: number): void => {
      const enc = encodeTestIdentity(r.id, r);
      const ins = this.s.insertTest.run(runPk, r.id, enc.suite, enc.classname, enc.name);
      if (ins.changes === 1) {
        out[at] = ins.lastInsertRowid;
        out[at + 12] = null;
        out[at + 13] = null;
        out[at + 14] = null;
        return;
      }
      const row = this.s.test.get(runPk, r.id)!;
      const t = decodeTestIdentity(r.id, row.suite, row.classname, row.name);
      out[at] = row.pk;
      out[at + 12] = r.suite === t.suite ? null : r.suite;
      out[at + 13] = r.classname === t.classname ? null : r.classname;
      out[at + 14] = r.name === t.name ? null : r.name;
    };
    /**
     * Writes the rows: `one` per row (the upsert of merge mode), or, when `batch` is given (after the
     * shard's rows were deleted, nothing can conflict), RESULTS_PER_INSERT rows per statement run.
     */
    const insertAll = (
      one: Statement<ResultValues>,
      batch: Statement<unknown[]> | undefined,
      runPk: number,
      attempt: number,
      shardPk: number,
      results: readonly TestResult[],
    ): void => {
      checkResultCaps(results, this.caps);
      const width = 18;
      const per = batch ? SQL.RESULTS_PER_INSERT : 1;
      const values: unknown[] = new Array(width * per);
      let filled = 0;
      // Consecutive results of one suite carry equal copies of its properties: compare them shallowly
      // with the previous result's instead of serializing each copy.
      let prevProps: Record<string, string> | undefined;
      let prevSet: number | null = null;
      for (const r of results) {
        if (prevProps === undefined || !sameProperties(prevProps, r.properties)) {
          const json = emptyToNull(r.properties);
          prevSet = json === null ? null : propertySetPk(json);
          prevProps = r.properties;
        }
        // SQL.INSERT_RESULT's column order (ResultValues).
        const at = filled * width;
        values[at] = shardPk;
        values[at + 1] = runPk;
        values[at + 2] = attempt;
        testKey(runPk, r, values, at + 3);
        values[at + 4] = severityOf(r.status);
        values[at + 5] = r.durationMs;
        values[at + 6] = r.file ?? null;
        values[at + 7] = r.line ?? null;
        values[at + 8] = r.message ?? null;
        values[at + 9] = r.type ?? null;
        values[at + 10] = r.details ?? null;
        values[at + 11] = r.stdout ?? null;
        values[at + 12] = r.stderr ?? null;
        values[at + 13] = prevSet;
        values[at + 14] = emptyToNull(r.retries);
        if (++filled === per) {
          // better-sqlite3 binds an array as the anonymous parameters, in order.
          (batch ?? (one as unknown as Statement<unknown[]>)).run(values);
          filled = 0;
        }
      }
      for (let i = 0; i < filled; i++) one.run(...(values.slice(i * width, (i + 1) * width) as ResultValues));
    };
    const storeCounts = (shardPk: number, c: StatusCounts): StatusCounts => {
      this.s.setShardCounts.run(c.passed, c.failed, c.error, c.skipped, shardPk);
      return c;
    };
    const countShard = (shardPk: number): StatusCounts => {
      const c: StatusCounts = { total: 0, passed: 0, failed: 0, error: 0, skipped: 0 };
      for (const { status, n } of this.s.shardCounts.all(shardPk)) {
        c[statusOf(status)] += n;
        c.total += n;
      }
      return c;
    };

    this.writeShard = db.transaction(
      (target: ShardTarget, results: readonly TestResult[], mode: WriteMode) => {
        const { runId, attempt, now } = target;
        const runPk = ensureRun(runId, now, attempt, target.expectedTry);
        const shardPk = ensureShard(ensureAttempt(runId, runPk, attempt, now), target.shard, now);
        // The run's other shards, from their stored counts (O(shards)): what this shard adds to.
        const cap = target.maxRunResults;
        const others =
          cap === undefined ? 0 : this.s.runResultCount.get(runPk)! - this.s.shardResultCount.get(shardPk)!;
        const checkRunCap = (shardTotal: number) => {
          if (cap !== undefined && others + shardTotal > cap)
            throw runCapError(runId, cap, others + shardTotal);
        };
        if (mode === 'merge') {
          insertAll(this.s.upsertResult, undefined, runPk, attempt, shardPk, results);
          // Rows from earlier batches count too: the shard's counts after the write (over the cap,
          // the throw rolls the whole write back).
          const c = countShard(shardPk);
          checkRunCap(c.total);
          return storeCounts(shardPk, c);
        }
        // The parser gives one result per id; a caller's duplicate would hit UNIQUE, so fold it the way
        // reads do (the more severe record stands) rather than fail or let the last one win silently.
        const rows = target.uniqueIds ? results : oneResultPerId(results);
        // Refused before any row is written: afterwards the shard holds exactly these rows.
        checkRunCap(rows.length);
        this.s.deleteShardResults.run(shardPk);
        insertAll(this.s.insertResult, this.s.insertResults, runPk, attempt, shardPk, rows);
        // Counted from the rows just written, not re-queried: the shard holds exactly these.
        return storeCounts(shardPk, countStatuses(rows));
      },
    );
    this.patchAttempt = db.transaction((runId, attempt, patch, now, expectedTry) => {
      const runPk = ensureRun(runId, now, attempt, expectedTry);
      const pk = ensureAttempt(runId, runPk, attempt, now);
      this.s.updateAttempt.run(...updateAttemptParams(patch, now, pk));
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
        const history = Number(this.s.insertHistory.run(now, row.pk).lastInsertRowid);
        this.s.moveAttempts.run(history, row.pk);
        this.s.moveResults.run(history, row.pk);
        this.s.moveTests.run(history, row.pk);
        this.s.bumpTry.run(now, row.pk);
      }
      return { run: toRun(this.s.runByKey.get(runId)!), superseded };
    });
    this.upsertRun = db.transaction((runId, meta, now) => {
      const [project, branch, commit, ciUrl] = [meta.project, meta.branch, meta.commit, meta.ciUrl].map(
        (v) => v ?? null,
      ) as (string | null)[];
      const labels = jsonOrNull(meta.labels);
      const existing = this.s.runByKey.get(runId);
      if (existing) this.s.updateRun.run(project!, branch!, commit!, ciUrl!, labels, now, existing.pk);
      else this.s.insertRun.run(runId, project!, branch!, commit!, ciUrl!, labels ?? '{}', now, now);
      return { run: toRun(this.s.runByKey.get(runId)!), created: !existing };
    });
  }

  /**
   * EXPLAIN QUERY PLAN of every read whose cost could grow with a run (tests and the bench print
   * them): each detail line, e.g. `SEARCH f USING INDEX results_failing (run_pk=?)`.
   */
  hotQueryPlans(): Record<string, string[]> {
    // Each with parameters of the right shape (the plan does not depend on their values).
    const hot: Record<string, [Statement<unknown[]>, unknown[]]> = {
      failingIds: [this.s.failingIds, [1, 1]],
      everFailedIds: [this.s.everFailedIds, [1]],
      evidenceIds: [this.s.evidenceIds, [1]],
      attemptCounts: [this.s.attemptCounts, [1]],
      currentCounts: [this.s.currentCounts, [1]],
      shardsWithCounts: [this.s.shardsWithCounts, [1]],
      attemptPage: [this.s.attemptPage, [1, '', 1, 'all', 'all', 'all', null, null, null, '', 1]],
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

  /**
   * A value that changes whenever anything is written, by this connection or another one: an answer
   * computed after reading it is current until it changes (read it before computing).
   */
  writeVersion(): string {
    return this.s.writeVersion.get()!;
  }

  /** Whether the run row (by internal key) is still there, e.g. in a read's own snapshot. */
  runExists(runPk: number): boolean {
    return this.s.runExists.get(runPk) !== undefined;
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
    const project = q.project ?? null;
    const branch = q.branch ?? null;
    const before = q.before ?? Number.MAX_SAFE_INTEGER;
    const rows = this.s.listRuns.all(project, project, branch, branch, before, q.limit + 1);
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
    return assembleSummary({
      attemptCounts: this.s.attemptCounts.all(runPk),
      shards: this.s.shardsWithCounts.all(runPk),
      attempts: this.attempts(runPk),
      failing: this.failingIds(runPk),
      everFailed: this.s.everFailedIds.all(runPk),
      evidence: this.s.evidenceIds.all(runPk),
      current: this.s.currentCounts.get(runPk),
    });
  }

  /** A page of one attempt's records, ordered by (test id, shard), after the given key. */
  attemptPage(q: {
    runPk: number;
    attempt: number;
    filter: 'all' | 'failed' | 'passed';
    after?: readonly [string, string] | undefined;
    limit: number;
  }): StoredResult[] {
    const afterId = q.after?.[0] ?? null;
    const f = q.filter;
    return this.s.attemptPage
      .all(q.runPk, afterId ?? '', q.attempt, f, f, f, afterId, afterId, afterId, q.after?.[1] ?? '', q.limit)
      .map((row) => toResult(row));
  }
}
