import type { StatusCounts, TestResult } from '@dozhim/core';
import type { StorageStatus } from '../db/health.js';
import type { ReadAnswers, ReadRequest } from '../db/read-ops.js';
import type { ReportStream } from '../db/read-worker.js';
import type { AttemptPatch, AttemptRecord, RunMeta, RunRecord, StoredResult } from '../db/records.js';
import type { ParseRequest, StoreTarget } from '../parse/junit-parser.js';

export type { ReportStream } from '../db/read-worker.js';

/** A run's internal key (for the read calls) and its record. */
export interface RunKey {
  pk: number;
  run: RunRecord;
}

export interface RunsPageQuery {
  project?: string | undefined;
  branch?: string | undefined;
  limit: number;
  /** The cursor returned as `next` by the previous page. */
  before?: number | undefined;
}

export interface AttemptPageQuery {
  runPk: number;
  attempt: number;
  filter: 'all' | 'failed' | 'passed';
  after?: readonly [string, string] | undefined;
  limit: number;
}

export interface ResultsWrite {
  runId: string;
  attempt: number;
  shard: string;
  results: readonly TestResult[];
  now: string;
  expectedTry?: number | undefined;
  /** true: the shard's rows are replaced; false: upserted per test id. */
  replace: boolean;
  /** Most results the run may hold, all attempts (413 too_many_results past it); undefined: no cap. */
  maxRunResults?: number | undefined;
}

/** The reads that grow with a run (summary, current tests, decision); `report` streams separately. */
export type GrowingRead = Exclude<ReadRequest, { op: 'report' }>;

/**
 * Everything the routes need from where results are stored: SQLite (SqliteStorage, the default)
 * or PostgreSQL (PgStorage). Every write is one transaction with the write guards inside it
 * (try_superseded, attempt_closed, attempt_gap, the caps), so a refused write stores nothing; a
 * storage fault is thrown as a 503 ApiError (storage_full/_readonly/_gone/_unavailable).
 */
export interface Storage {
  readonly kind: 'sqlite' | 'postgres';
  upsertRun(runId: string, meta: RunMeta, now: string): Promise<{ run: RunRecord; created: boolean }>;
  /** A new try of the run id; its attempts move to a history row `<id>#try<n>`. */
  newTry(runId: string, now: string): Promise<{ run: RunRecord; superseded: number }>;
  patchAttempt(
    runId: string,
    attempt: number,
    patch: AttemptPatch,
    now: string,
    expectedTry?: number,
  ): Promise<AttemptRecord>;
  /** The JSON upload: returns the shard's counts after the write. */
  writeResults(w: ResultsWrite): Promise<StatusCounts>;
  /** The JUnit upload: parse (off the HTTP thread), caps, then replace the shard in one transaction. */
  ingestJUnit(upload: ParseRequest, target: StoreTarget): Promise<StatusCounts>;

  runKey(runId: string): Promise<RunKey | undefined>;
  listRuns(q: RunsPageQuery): Promise<{ runs: RunRecord[]; next: number | null }>;
  /**
   * A value that changes whenever anything may have been written since (read it before computing an
   * answer to keep): SQLite's write counter. PostgreSQL: a new value every call, since another
   * replica's commits cannot be seen locally, so nothing is kept.
   */
  writeVersion(): Promise<string>;
  /** Sorted ids of the tests currently failed or errored (the legacy /failedTests answer). */
  failingIds(runPk: number): Promise<string[]>;
  /** A page of one attempt's records, ordered by (test id, shard) in byte order, after `after`. */
  attemptPage(q: AttemptPageQuery): Promise<StoredResult[]>;
  read<K extends GrowingRead['op']>(req: Extract<GrowingRead, { op: K }>): Promise<ReadAnswers[K]>;
  /** The merged JUnit report, in chunks the caller pulls. */
  report(runPk: number, name: string): Promise<ReportStream>;

  /** Deletes the run, its `<id>#try<n>` history, attempts, shards and results; false if unknown. */
  deleteRun(runId: string): Promise<boolean>;
  /** Deletes up to `limit` runs with `updated_at < cutoffIso` (and their history); returns how many. */
  expireRuns(cutoffIso: string, limit: number): Promise<number>;

  /** What /healthz answers: ok only when a write could be trusted now. */
  health(): Promise<StorageStatus>;
  close(): Promise<void>;
}

/** `--db` / `DOZHIM_DB`: a `postgres://` or `postgresql://` URL selects PostgreSQL, anything else is a SQLite path. */
export const isPostgresUrl = (db: string): boolean => /^postgres(ql)?:\/\//i.test(db);

/** The URL without its password, for logs and error messages. */
export function redactDbUrl(db: string): string {
  if (!isPostgresUrl(db)) return db;
  try {
    const u = new URL(db);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

/** A whole answer as a one-chunk ReportStream. */
export function bytesStream(text: string): ReportStream {
  const CHUNK = 1024 * 1024;
  const bytes = Buffer.from(text, 'utf8');
  let offset = 0;
  return {
    next: async () => {
      if (offset >= bytes.length) return undefined;
      const chunk = bytes.subarray(offset, offset + CHUNK);
      offset += chunk.length;
      return chunk;
    },
    cancel: () => {
      offset = bytes.length;
    },
  };
}
