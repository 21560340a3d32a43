import { createHash } from 'node:crypto';
import { countStatuses, decide, type StatusCounts, type TestResult, writeMergedJUnit } from '@dozhim/core';
import pg from 'pg';
import type { StorageStatus } from '../db/health.js';
import { StorageOpenError } from '../db/open.js';
import type { ReadAnswers } from '../db/read-ops.js';
import {
  AttemptGapError,
  type AttemptPatch,
  type AttemptRecord,
  type RunMeta,
  type RunRecord,
  type ShardRecord,
  type StoredResult,
  WriteConflictError,
} from '../db/records.js';
import { runCapError } from '../db/repository.js';
import { MAX_RESULTS_PER_BATCH, RETENTION_SQL } from '../db/retention.js';
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
} from '../db/rows.js';
import * as SQL from '../db/sql.js';
import { assembleSummary } from '../db/summary.js';
import { oneResultPerId } from '../dedupe.js';
import { ApiError, storageError } from '../http/errors.js';
import {
  inThreadParser,
  type JUnitParser,
  type ParseRequest,
  type StoreTarget,
} from '../parse/junit-parser.js';
import { listTests, type RunProgress, toCoreAttempts } from '../snapshot.js';
import { checkResultCaps, checkUploadCaps, DEFAULT_RESULT_CAPS, type ResultCaps } from '../truncate.js';
import { forUpdate, orIgnore, type PgStatement, toPg, toPgBatchInsert } from './dialect.js';
import { migratePg } from './pg-migrations.js';
import { PgReadWorker } from './pg-read-worker.js';
import {
  type AttemptPageQuery,
  bytesStream,
  type GrowingRead,
  type ResultsWrite,
  type RunKey,
  type RunsPageQuery,
  redactDbUrl,
  type Storage,
} from './storage.js';

/**
 * db/sql.ts texts that exist for SQLite only: its connection-local write counter (PostgreSQL has no
 * equivalent across replicas: writeVersion() below) and the 32-row VALUES insert (PostgreSQL
 * inserts whole batches with unnest instead).
 */
export const SQLITE_ONLY: ReadonlySet<string> = new Set(['WRITE_VERSION', 'INSERT_RESULTS']);

/** Every statement, converted once from the SQLite text (one definition of each query). */
const Q = Object.fromEntries(
  Object.entries(SQL)
    .filter(([k, v]) => typeof v === 'string' && !SQLITE_ONLY.has(k))
    .map(([k, v]) => [k, toPg(v as string)]),
) as Record<keyof typeof SQL, PgStatement>;
/** The results columns' PostgreSQL types, in INSERT_RESULT's positional order (sql.ts RESULT_COLUMNS). */
const RESULT_TYPES = [
  'bigint', // shard_pk
  'bigint', // run_pk
  'integer', // attempt_no
  'bigint', // test_pk
  'smallint', // status
  'double precision', // duration_ms
  'text', // file
  'integer', // line
  'text', // message
  'text', // type
  'text', // details
  'text', // stdout
  'text', // stderr
  'bigint', // property_set
  'text', // retries
  'text', // suite
  'text', // classname
  'text', // name
] as const;
const PG = {
  runForUpdate: forUpdate(Q.RUN_BY_KEY.text),
  insertRunOrIgnore: orIgnore(Q.INSERT_RUN.text),
  insertHistory: `${Q.INSERT_HISTORY.text} RETURNING pk`,
  insertResults: toPgBatchInsert(Q.INSERT_RESULT, RESULT_TYPES),
  upsertResults: toPgBatchInsert(Q.UPSERT_RESULT, RESULT_TYPES),
  insertPropertySets: orIgnore(toPgBatchInsert(Q.INSERT_PROPERTY_SET, ['text', 'text'])),
  insertTests: toPgBatchInsert(Q.INSERT_TEST, ['bigint', 'text', 'text', 'text', 'text']),
  // PostgreSQL only: the run's rows of many tests in one round trip.
  tests:
    'SELECT pk, test_id, suite, classname, name FROM tests WHERE run_pk = $1 AND test_id = ANY($2::text[])',
  // PostgreSQL only: the pks of many sets in one round trip.
  propertySets: 'SELECT hash, pk FROM property_sets WHERE hash = ANY($1::text[])',
  // Retention: db/retention.ts's texts. The run rows are locked first: an upload to the run on any
  // replica then commits before the delete (and the run is gone with it) or after it (and starts
  // the run id afresh). Expiry skips runs being written right now (SKIP LOCKED): the next pass.
  runPkForUpdate: forUpdate(toPg(RETENTION_SQL.runPk).text),
  history: toPg(RETENTION_SQL.history).text,
  expired: `${toPg(RETENTION_SQL.expired).text} FOR UPDATE OF r SKIP LOCKED`,
  deletes: [
    RETENTION_SQL.deleteResults,
    RETENTION_SQL.deleteShards,
    RETENTION_SQL.deleteAttempts,
    RETENTION_SQL.deleteTests,
    RETENTION_SQL.deleteRun,
  ].map((q) => toPg(q).text),
  probe: 'UPDATE dozhim_schema SET version = version',
  runExists: Q.RUN_EXISTS.text,
};
/** Rows per multi-row INSERT: large enough to amortize the round trip, small enough for memory. */
const BATCH_ROWS = 2000;

/** int8 (counts, bigint keys) and numeric (sums) as JS numbers: keys stay below 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === 20 || oid === 1700) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  }) as typeof pg.types.getTypeParser,
};

type Db = pg.ClientBase;

const first = <T>(r: pg.QueryResult): T | undefined => r.rows[0] as T | undefined;
const pluck = <T>(r: pg.QueryResult): T[] => r.rows.map((row) => Object.values(row)[0] as T);

/**
 * What a PostgreSQL error says about the storage, as the routes' storage problems: disk full
 * (SQLSTATE 53100), read-only (25006, e.g. a standby), unreachable (connection errors, 08xxx,
 * 57P0x admin shutdown / cannot connect now).
 */
export function pgProblemOf(e: unknown): 'full' | 'readonly' | 'io' | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  if (code === '53100') return 'full';
  if (code === '25006') return 'readonly';
  // Connection exceptions (08000-08006; not 08P01, a protocol violation: a bug, not the storage).
  if (typeof code === 'string' && ((code.startsWith('08') && code !== '08P01') || code.startsWith('57P')))
    return 'io';
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT' || code === 'EPIPE')
    return 'io';
  const msg = (e as Error | null)?.message ?? '';
  if (
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(
      msg,
    )
  )
    return 'io';
  return undefined;
}

export interface PgOptions {
  /** Parses JUnit uploads (the parse worker in main.ts: parse only, the insert runs here). */
  parser?: JUnitParser;
  /** Connections of this replica (default 10). */
  poolSize?: number;
  caps?: ResultCaps;
  /**
   * Run the reads that grow with a run (current tests, decision, report) in a worker thread with its
   * own pool (main.ts: yes), instead of folding them on the calling thread.
   */
  readWorker?: boolean;
}

/**
 * The PostgreSQL backend, on a pg.Pool. Several replicas may share one database: every write to a
 * run holds that run's row lock (`SELECT .. FOR UPDATE`) for its transaction, so the write guards
 * and the attempt/shard rows are decided by one writer at a time per run, on any replica; a new run
 * is created with `INSERT .. ON CONFLICT DO NOTHING` and then locked, so two replicas creating it
 * at once end with one row. Results go in with multi-row `INSERT .. SELECT FROM unnest(..)`.
 * Reads of one run run in one REPEATABLE READ READ ONLY transaction (a consistent snapshot).
 */
export class PgStorage implements Storage {
  readonly kind = 'postgres';
  private readonly parser: JUnitParser;
  private readonly caps: ResultCaps;
  /** The last write's storage problem, sticky until a write (or the /healthz probe) succeeds. */
  private lastWrite: 'ok' | 'full' | 'readonly' = 'ok';
  private readonly reads: PgReadWorker | undefined;

  private constructor(
    readonly pool: pg.Pool,
    private readonly url: string,
    options: PgOptions,
  ) {
    this.parser = options.parser ?? inThreadParser;
    this.caps = options.caps ?? DEFAULT_RESULT_CAPS;
    this.reads = options.readWorker ? new PgReadWorker(url) : undefined;
  }

  /** A storage on an already migrated database, connecting lazily (the read worker's). */
  static connect(url: string, options: PgOptions = {}): PgStorage {
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 10,
      types,
      connectionTimeoutMillis: 10_000,
      application_name: 'dozhim-reporter',
    });
    // An idle connection that dies (server restart) must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    return new PgStorage(pool, url, options);
  }

  /** Connects, migrates (advisory lock: replicas starting at once migrate once), returns the storage. */
  static async open(url: string, options: PgOptions = {}): Promise<PgStorage> {
    const store = PgStorage.connect(url, options);
    const pool = store.pool;
    try {
      const client = await pool.connect();
      try {
        await migratePg(client);
      } finally {
        client.release();
      }
    } catch (e) {
      await store.close().catch(() => undefined);
      throw new StorageOpenError(`cannot use database ${redactDbUrl(url)}: ${(e as Error).message}`);
    }
    return store;
  }

  /** One write transaction; storage faults become 503s, a deadlock (rare) is retried. */
  private async write<T>(fn: (c: Db) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        const out = await this.tx('BEGIN', fn);
        this.lastWrite = 'ok';
        return out;
      } catch (e) {
        const code = (e as { code?: string }).code;
        if ((code === '40P01' || code === '40001') && attempt < 5) continue;
        const problem = pgProblemOf(e);
        if (problem === 'full' || problem === 'readonly') this.lastWrite = problem;
        if (problem) throw storageError(problem);
        // Text PostgreSQL cannot store (a NUL character, SQLSTATE 22021 / 22P05): the request's fault.
        if (code === '22021' || code === '22P05')
          throw new ApiError(
            400,
            'unsupported_character',
            'a text field holds a character the database cannot store (NUL)',
          );
        throw e;
      }
    }
  }

  /** One read-only snapshot; an unreachable server is a 503, not a 500. */
  private async snapshot<T>(fn: (c: Db) => Promise<T>): Promise<T> {
    try {
      return await this.tx('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', fn);
    } catch (e) {
      if (pgProblemOf(e)) throw storageError('no_answer');
      throw e;
    }
  }

  private async query(text: string, values: unknown[]): Promise<pg.QueryResult> {
    try {
      return await this.pool.query(text, values);
    } catch (e) {
      if (pgProblemOf(e)) throw storageError('no_answer');
      throw e;
    }
  }

  private async tx<T>(begin: string, fn: (c: Db) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await c.query(begin);
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (e) {
      await c.query('ROLLBACK').catch((err: Error) => {
        broken = err;
      });
      throw e;
    } finally {
      // A connection whose ROLLBACK failed is not given back to the pool.
      c.release(broken);
    }
  }

  // ---- the write guards and ensure-steps, all under the run's row lock ----

  private guard(runId: string, row: RunRow, last: number, attempt: number, expectedTry?: number): void {
    if (expectedTry !== undefined && expectedTry !== row.try) {
      throw new WriteConflictError(
        'try_superseded',
        `run "${runId}" is at try ${row.try}; this writer's try ${expectedTry} was superseded by a newer \`dozhim run\` of the same run id`,
        { runId, try: row.try, expectedTry },
      );
    }
    if (last > attempt) {
      throw new WriteConflictError(
        'attempt_closed',
        `attempt ${attempt} of run "${runId}" can no longer change: attempt ${last} already started from its results (a late or retried job of attempt ${attempt}?)`,
        { runId, attempt, lastAttempt: last },
      );
    }
  }

  /** The run's row, locked; created first when missing (a concurrent creator's row wins). */
  private async lockRun(
    c: Db,
    runId: string,
    now: string,
    meta?: RunMeta,
  ): Promise<{ row: RunRow; created: boolean }> {
    let row = first<RunRow>(await c.query(PG.runForUpdate, [runId]));
    if (row) return { row, created: false };
    const inserted = await c.query(PG.insertRunOrIgnore, [
      runId,
      meta?.project ?? null,
      meta?.branch ?? null,
      meta?.commit ?? null,
      meta?.ciUrl ?? null,
      jsonOrNull(meta?.labels) ?? '{}',
      now,
      now,
    ]);
    row = first<RunRow>(await c.query(PG.runForUpdate, [runId]))!;
    return { row, created: inserted.rowCount === 1 };
  }

  private async ensureRun(
    c: Db,
    runId: string,
    now: string,
    attempt: number,
    expectedTry?: number,
  ): Promise<number> {
    const { row, created } = await this.lockRun(c, runId, now);
    const last = created ? 0 : (pluck<number | null>(await c.query(Q.LAST_ATTEMPT.text, [row.pk]))[0] ?? 0);
    this.guard(runId, row, last, attempt, expectedTry);
    if (!created) await c.query(Q.TOUCH_RUN.text, [now, row.pk]);
    return row.pk;
  }

  private async ensureAttempt(
    c: Db,
    runId: string,
    runPk: number,
    attempt: number,
    now: string,
  ): Promise<number> {
    const row = first<AttemptRow>(await c.query(Q.ATTEMPT.text, [runPk, attempt]));
    if (row) return row.pk;
    if (attempt > 1 && !first(await c.query(Q.ATTEMPT.text, [runPk, attempt - 1])))
      throw new AttemptGapError(runId, attempt);
    return first<{ pk: number }>(await c.query(Q.INSERT_ATTEMPT.text, [runPk, attempt, now, now]))!.pk;
  }

  private async ensureShard(c: Db, attemptPk: number, shard: string, now: string): Promise<number> {
    const row = first<{ pk: number }>(await c.query(Q.SHARD.text, [attemptPk, shard]));
    if (row) {
      await c.query(Q.TOUCH_SHARD.text, [now, row.pk]);
      return row.pk;
    }
    return first<{ pk: number }>(await c.query(Q.INSERT_SHARD.text, [attemptPk, shard, now]))!.pk;
  }

  /**
   * The property-set pk of each result (null for none). Distinct sets are inserted in one statement
   * in hash order (ON CONFLICT DO NOTHING): two uploads sharing sets lock them in the same order,
   * so they cannot deadlock each other.
   */
  private async propertySets(c: Db, results: readonly TestResult[]): Promise<(number | null)[]> {
    const jsonOf = results.map((r) => emptyToNull(r.properties));
    const hashOf = new Map<string, string>();
    for (const j of jsonOf)
      if (j !== null && !hashOf.has(j)) hashOf.set(j, createHash('sha256').update(j).digest('base64url'));
    if (hashOf.size === 0) return jsonOf.map(() => null);
    const pairs = [...hashOf]
      .map(([json, hash]) => [hash, json] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : 1));
    await c.query(PG.insertPropertySets, [pairs.map((p) => p[0]), pairs.map((p) => p[1])]);
    const pks = new Map<string, number>();
    for (const row of (await c.query(PG.propertySets, [pairs.map((p) => p[0])])).rows as {
      hash: string;
      pk: number;
    }[])
      pks.set(row.hash, row.pk);
    return jsonOf.map((j) => (j === null ? null : pks.get(hashOf.get(j)!)!));
  }

  /**
   * Each result's test key in the run, and its own identity where it differs from the one stored
   * for its id (as Repository's testKey): the run's missing tests inserted in one statement
   * (ON CONFLICT DO NOTHING), then all of them read back in one. Under the run's lock, so no other
   * writer adds tests to this run meanwhile.
   */
  private async testKeys(
    c: Db,
    runPk: number,
    results: readonly TestResult[],
  ): Promise<[pk: number, suite: string | null, cls: string | null, name: string | null][]> {
    const ids = results.map((r) => r.id);
    for (let start = 0; start < results.length; start += BATCH_ROWS) {
      const batch = results.slice(start, start + BATCH_ROWS);
      const enc = batch.map((r) => encodeTestIdentity(r.id, r));
      await c.query(PG.insertTests, [
        batch.map(() => runPk),
        batch.map((r) => r.id),
        enc.map((e) => e.suite),
        enc.map((e) => e.classname),
        enc.map((e) => e.name),
      ]);
    }
    const stored = new Map<
      string,
      { pk: number; suite: string | null; classname: string | null; name: string | null }
    >();
    for (let start = 0; start < ids.length; start += BATCH_ROWS * 5) {
      const rows = (await c.query(PG.tests, [runPk, ids.slice(start, start + BATCH_ROWS * 5)])).rows as {
        pk: number;
        test_id: string;
        suite: string | null;
        classname: string | null;
        name: string | null;
      }[];
      for (const row of rows) stored.set(row.test_id, row);
    }
    return results.map((r) => {
      const row = stored.get(r.id)!;
      const t = decodeTestIdentity(r.id, row.suite, row.classname, row.name);
      return [
        row.pk,
        r.suite === t.suite ? null : r.suite,
        r.classname === t.classname ? null : r.classname,
        r.name === t.name ? null : r.name,
      ];
    });
  }

  private async insertAll(
    c: Db,
    statement: string,
    runPk: number,
    attempt: number,
    shardPk: number,
    results: readonly TestResult[],
  ): Promise<void> {
    checkResultCaps(results, this.caps);
    const sets = await this.propertySets(c, results);
    const keys = await this.testKeys(c, runPk, results);
    for (let start = 0; start < results.length; start += BATCH_ROWS) {
      const batch = results.slice(start, start + BATCH_ROWS);
      const cols: unknown[][] = RESULT_TYPES.map(() => new Array(batch.length));
      batch.forEach((r, i) => {
        const [testPk, suite, classname, name] = keys[start + i]!;
        const v = [
          shardPk,
          runPk,
          attempt,
          testPk,
          severityOf(r.status),
          r.durationMs,
          r.file ?? null,
          r.line ?? null,
          r.message ?? null,
          r.type ?? null,
          r.details ?? null,
          r.stdout ?? null,
          r.stderr ?? null,
          sets[start + i],
          emptyToNull(r.retries),
          suite,
          classname,
          name,
        ];
        for (let k = 0; k < v.length; k++) cols[k]![i] = v[k];
      });
      await c.query(statement, cols);
    }
  }

  private async storeCounts(c: Db, shardPk: number, counts: StatusCounts): Promise<StatusCounts> {
    await c.query(Q.SET_SHARD_COUNTS.text, [
      counts.passed,
      counts.failed,
      counts.error,
      counts.skipped,
      shardPk,
    ]);
    return counts;
  }

  /** One shard's write (Repository.writeShard): replace its rows, or merge per test; the run cap inside. */
  private async writeShard(c: Db, w: ResultsWrite): Promise<StatusCounts> {
    const runPk = await this.ensureRun(c, w.runId, w.now, w.attempt, w.expectedTry);
    const attemptPk = await this.ensureAttempt(c, w.runId, runPk, w.attempt, w.now);
    const shardPk = await this.ensureShard(c, attemptPk, w.shard, w.now);
    // The run's other shards, from their stored counts (O(shards)): what this shard adds to.
    const cap = w.maxRunResults;
    const others =
      cap === undefined
        ? 0
        : pluck<number>(await c.query(Q.RUN_RESULT_COUNT.text, [runPk]))[0]! -
          pluck<number>(await c.query(Q.SHARD_RESULT_COUNT.text, [shardPk]))[0]!;
    const checkRunCap = (shardTotal: number) => {
      if (cap !== undefined && others + shardTotal > cap)
        throw runCapError(w.runId, cap, others + shardTotal);
    };
    if (!w.replace) {
      await this.insertAll(c, PG.upsertResults, runPk, w.attempt, shardPk, w.results);
      const counts: StatusCounts = { total: 0, passed: 0, failed: 0, error: 0, skipped: 0 };
      for (const { status, n } of (await c.query(Q.SHARD_COUNTS.text, [shardPk])).rows as {
        status: number;
        n: number;
      }[]) {
        counts[statusOf(status)] += n;
        counts.total += n;
      }
      checkRunCap(counts.total);
      return this.storeCounts(c, shardPk, counts);
    }
    const rows = oneResultPerId(w.results);
    checkRunCap(rows.length);
    await c.query(Q.DELETE_SHARD_RESULTS.text, [shardPk]);
    await this.insertAll(c, PG.insertResults, runPk, w.attempt, shardPk, rows);
    return this.storeCounts(c, shardPk, countStatuses(rows));
  }

  // ---- Storage ----

  upsertRun(runId: string, meta: RunMeta, now: string): Promise<{ run: RunRecord; created: boolean }> {
    return this.write(async (c) => {
      const { row, created } = await this.lockRun(c, runId, now, meta);
      if (!created) {
        await c.query(Q.UPDATE_RUN.text, [
          meta.project ?? null,
          meta.branch ?? null,
          meta.commit ?? null,
          meta.ciUrl ?? null,
          jsonOrNull(meta.labels),
          now,
          row.pk,
        ]);
      }
      return { run: toRun(first<RunRow>(await c.query(Q.RUN_BY_KEY.text, [runId]))!), created };
    });
  }

  newTry(runId: string, now: string): Promise<{ run: RunRecord; superseded: number }> {
    return this.write(async (c) => {
      const { row, created } = await this.lockRun(c, runId, now);
      const superseded = created
        ? 0
        : (pluck<number | null>(await c.query(Q.LAST_ATTEMPT.text, [row.pk]))[0] ?? 0);
      if (created) {
        // SQLite's ensureRun on a new run id: nothing to supersede.
      } else if (superseded > 0) {
        const history = first<{ pk: number }>(await c.query(PG.insertHistory, [now, row.pk]))!.pk;
        await c.query(Q.MOVE_ATTEMPTS.text, [history, row.pk]);
        await c.query(Q.MOVE_RESULTS.text, [history, row.pk]);
        await c.query(Q.MOVE_TESTS.text, [history, row.pk]);
        await c.query(Q.BUMP_TRY.text, [now, row.pk]);
      }
      return { run: toRun(first<RunRow>(await c.query(Q.RUN_BY_KEY.text, [runId]))!), superseded };
    });
  }

  patchAttempt(
    runId: string,
    attempt: number,
    patch: AttemptPatch,
    now: string,
    expectedTry?: number,
  ): Promise<AttemptRecord> {
    return this.write(async (c) => {
      const runPk = await this.ensureRun(c, runId, now, attempt, expectedTry);
      const pk = await this.ensureAttempt(c, runId, runPk, attempt, now);
      await c.query(Q.UPDATE_ATTEMPT.text, [...updateAttemptParams(patch, now, pk)]);
      return toAttempt(first<AttemptRow>(await c.query(Q.ATTEMPT.text, [runPk, attempt]))!);
    });
  }

  writeResults(w: ResultsWrite): Promise<StatusCounts> {
    return this.write((c) => this.writeShard(c, w));
  }

  async ingestJUnit(upload: ParseRequest, target: StoreTarget): Promise<StatusCounts> {
    // Parse (and truncate) in the parse worker; the rows then go in here, in one transaction.
    const results = await this.parser.parse(upload);
    if (target.caps) checkUploadCaps(results, target.caps);
    return this.write((c) =>
      this.writeShard(c, {
        runId: target.runId,
        attempt: target.attempt,
        shard: target.shard,
        results,
        now: target.now,
        expectedTry: target.expectedTry,
        replace: true,
        maxRunResults: target.caps?.maxRunResults,
      }),
    );
  }

  async runKey(runId: string): Promise<RunKey | undefined> {
    const row = first<RunRow>(await this.query(Q.RUN_BY_KEY.text, [runId]));
    return row ? { pk: row.pk, run: toRun(row) } : undefined;
  }

  async listRuns(q: RunsPageQuery): Promise<{ runs: RunRecord[]; next: number | null }> {
    const rows = (
      await this.query(Q.LIST_RUNS.text, [
        q.project ?? null,
        q.project ?? null,
        q.branch ?? null,
        q.branch ?? null,
        q.before ?? Number.MAX_SAFE_INTEGER,
        q.limit + 1,
      ])
    ).rows as RunRow[];
    const page = rows.slice(0, q.limit);
    return { runs: page.map(toRun), next: rows.length > q.limit ? page[page.length - 1]!.pk : null };
  }

  /** Sorted in JS as SQLite's are, so the order is core runState().failing's. */
  private async failing(runPk: number, c?: Db): Promise<string[]> {
    const values = [runPk, runPk];
    const r = c ? await c.query(Q.FAILING_IDS.text, values) : await this.query(Q.FAILING_IDS.text, values);
    return pluck<string>(r).sort();
  }

  private versions = 0;

  /** Never the same twice: a write on another replica is invisible here, so no answer may be kept. */
  async writeVersion(): Promise<string> {
    return `pg-${process.pid}-${++this.versions}`;
  }

  failingIds(runPk: number): Promise<string[]> {
    return this.failing(runPk);
  }

  async attemptPage(q: AttemptPageQuery): Promise<StoredResult[]> {
    // (run_pk, afterId ?? '', attempt, filter x3, afterId x3, afterShard, limit): sql.ts's order.
    const r = await this.query(Q.ATTEMPT_PAGE.text, [
      q.runPk,
      q.after?.[0] ?? '',
      q.attempt,
      q.filter,
      q.filter,
      q.filter,
      q.after?.[0] ?? null,
      q.after?.[0] ?? null,
      q.after?.[0] ?? null,
      q.after?.[1] ?? '',
      q.limit,
    ]);
    return (r.rows as ResultRow[]).map((row) => toResult(row));
  }

  /** The run summary by SQL: the same queries and the same assembly as Repository.summary(). */
  private async summary(c: Db, runPk: number): Promise<RunProgress> {
    const rows = async <T>(q: PgStatement) => (await c.query(q.text, [runPk])).rows as T[];
    return assembleSummary({
      attemptCounts: await rows(Q.ATTEMPT_COUNTS),
      shards: await rows(Q.SHARDS_WITH_COUNTS),
      attempts: (await rows<AttemptRow>(Q.ATTEMPTS)).map(toAttempt),
      failing: await this.failing(runPk, c),
      everFailed: pluck<string>(await c.query(Q.EVER_FAILED_IDS.text, [runPk])),
      evidence: pluck<string>(await c.query(Q.EVIDENCE_IDS.text, [runPk])),
      current: first<Record<string, number | null>>(await c.query(Q.CURRENT_COUNTS.text, [runPk])),
    });
  }

  /** Attempts, shards and results of a run as core attempts (the reads that fold with runState). */
  private async coreAttempts(c: Db, runPk: number, full: boolean) {
    const attempts = ((await c.query(Q.ATTEMPTS.text, [runPk])).rows as AttemptRow[]).map(toAttempt);
    const shards = (await c.query(Q.SHARDS.text, [runPk])).rows as ShardRecord[];
    const parsed = new Map<string, Record<string, string>>();
    const rows = (await c.query((full ? Q.FULL_RESULTS : Q.LEAN_RESULTS).text, [runPk])).rows as ResultRow[];
    return toCoreAttempts(
      attempts,
      shards,
      rows.map((row) => toResult(row, parsed)),
    );
  }

  read<K extends GrowingRead['op']>(req: Extract<GrowingRead, { op: K }>): Promise<ReadAnswers[K]> {
    // The SQL summary is cheap (indexed counts): on this thread; the folds go to the worker.
    if (this.reads && req.op !== 'summary') return this.reads.read(req);
    return this.readHere(req);
  }

  /** A growing read on this thread (the read worker's entry, or without a worker). */
  readHere<K extends GrowingRead['op']>(req: Extract<GrowingRead, { op: K }>): Promise<ReadAnswers[K]> {
    const r = req as GrowingRead;
    return this.snapshot(async (c): Promise<ReadAnswers[GrowingRead['op']]> => {
      await this.requireRun(c, r.runPk);
      switch (r.op) {
        case 'summary':
          return this.summary(c, r.runPk);
        case 'tests':
          return listTests(await this.coreAttempts(c, r.runPk, false), r.query);
        case 'decision': {
          const attempts = await this.coreAttempts(c, r.runPk, false);
          return attempts.length === 0 ? null : decide(attempts, r.options);
        }
      }
    }) as Promise<ReadAnswers[K]>;
  }

  async report(runPk: number, name: string) {
    const xml = this.reads
      ? await this.reads.read({ op: 'report', runPk, name })
      : await this.reportXml(runPk, name);
    return bytesStream(xml);
  }

  /** The merged JUnit report of a run, computed on this thread. */
  async reportXml(runPk: number, name: string): Promise<string> {
    const attempts = await this.snapshot(async (c) => {
      await this.requireRun(c, runPk);
      return this.coreAttempts(c, runPk, true);
    });
    return writeMergedJUnit(attempts, { name });
  }

  /**
   * The route found the run a moment ago, in another snapshot; if a DELETE or retention (on any
   * replica) removed it since, this snapshot would show an empty run. Answer 404 instead, as the
   * route would have: a run is there whole or not at all, never half.
   */
  private async requireRun(c: Db, runPk: number): Promise<void> {
    if ((await c.query(PG.runExists, [runPk])).rowCount === 0)
      throw new ApiError(404, 'run_not_found', 'the run was deleted while it was read');
  }

  /** One run (current row) with its history rows and everything under them (retention.ts removeRun). */
  private async removeRun(c: Db, pk: number, runId: string): Promise<void> {
    const history = pluck<number>(await c.query(PG.history, [`${runId}#try`, `${runId}#trz`, pk]));
    for (const p of [...history, pk]) for (const del of PG.deletes) await c.query(del, [p]);
  }

  deleteRun(runId: string): Promise<boolean> {
    return this.write(async (c) => {
      const pk = pluck<number>(await c.query(PG.runPkForUpdate, [runId]))[0];
      if (pk === undefined) return false;
      await this.removeRun(c, pk, runId);
      return true;
    });
  }

  /** As retention.ts expireRuns: oldest first, at most `limit` runs and about MAX_RESULTS_PER_BATCH results. */
  expireRuns(cutoffIso: string, limit: number, maxResults = MAX_RESULTS_PER_BATCH): Promise<number> {
    return this.write(async (c) => {
      const rows = (await c.query(PG.expired, [cutoffIso, Math.max(0, Math.floor(limit))])).rows as {
        pk: number;
        runId: string;
        results: number;
      }[];
      let removed = 0;
      let results = 0;
      for (const { pk, runId, results: n } of rows) {
        if (removed > 0 && results + n > maxResults) break;
        await this.removeRun(c, pk, runId);
        removed++;
        results += n;
      }
      return removed;
    });
  }

  async health(): Promise<StorageStatus> {
    try {
      if (this.lastWrite !== 'ok') {
        // A tiny real write, so a freed disk or a writable primary again shows as healthy.
        try {
          await this.pool.query(PG.probe);
          this.lastWrite = 'ok';
        } catch (e) {
          const p = pgProblemOf(e);
          if (p === 'full' || p === 'readonly') this.lastWrite = p;
          else throw e;
        }
      }
      if (this.lastWrite !== 'ok') {
        const message =
          this.lastWrite === 'full'
            ? `the disk of the PostgreSQL server at ${redactDbUrl(this.url)} is full (the last write failed)`
            : `the PostgreSQL database at ${redactDbUrl(this.url)} is read-only`;
        return { ok: false, problem: this.lastWrite, message };
      }
      await this.pool.query('SELECT 1');
      return { ok: true };
    } catch {
      return { ok: false, problem: 'no_answer', message: 'the database does not answer' };
    }
  }

  async close(): Promise<void> {
    await this.reads?.close();
    await this.pool.end();
  }
}
