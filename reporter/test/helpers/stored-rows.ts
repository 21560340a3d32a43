import Database from 'better-sqlite3';
import pg from 'pg';

/**
 * Direct access to a reporter's database for what the API cannot do or show: set a run's last
 * write in the past (retention tests), count the rows a run left behind (delete tests). `db` is
 * what the tests pass to startReporter(): a SQLite file or a postgres:// URL. The SQL is the same
 * for both (standard functions only, placeholders rewritten for pg); it needs the `runs`,
 * `attempts`, `shards` and `results` tables with the SQLite schema's column names.
 */
const isPostgres = (db: string) => /^postgres(ql)?:\/\//i.test(db);

async function exec<T>(db: string, sql: string, params: unknown[], write: boolean): Promise<T[]> {
  if (isPostgres(db)) {
    const client = new pg.Client({ connectionString: db });
    await client.connect();
    try {
      let i = 0;
      return (
        await client.query(
          sql.replace(/\?/g, () => `$${++i}`),
          params,
        )
      ).rows as T[];
    } finally {
      await client.end();
    }
  }
  // A second connection next to the running reporter (WAL): waits for its write lock if needed.
  const conn = new Database(db, { fileMustExist: true });
  try {
    conn.pragma('busy_timeout = 10000');
    const st = conn.prepare(sql);
    if (write) {
      st.run(...params);
      return [];
    }
    return st.all(...params) as T[];
  } finally {
    conn.close();
  }
}

/** Sets the run's last write (`updated_at` of its current row) to `iso`. */
export async function backdateRun(db: string, runId: string, iso: string): Promise<void> {
  await exec(
    db,
    'UPDATE runs SET updated_at = ? WHERE run_id = ? AND superseded_by IS NULL',
    [iso, runId],
    true,
  );
}

export interface RunRows {
  /** The run's row and its history tries (`<id>#try<n>`). */
  runs: number;
  attempts: number;
  shards: number;
  /** Results by their denormalized run key... */
  results: number;
  /** The run's test dictionary (schema v4 `tests`). */
  tests: number;
  /** ...and results whose shard is gone (must be 0). */
  orphanResults: number;
}

/** Counts every row the run id (and its history tries) has in each table. */
export async function rowsOfRun(db: string, runId: string): Promise<RunRows> {
  const runs = "(SELECT pk FROM runs WHERE run_id = ? OR substr(run_id, 1, length(?) + 4) = ? || '#try')";
  const rows = await exec<Record<keyof RunRows, number | string>>(
    db,
    `SELECT
       (SELECT count(*) FROM runs WHERE pk IN ${runs}) AS runs,
       (SELECT count(*) FROM attempts WHERE run_pk IN ${runs}) AS attempts,
       (SELECT count(*) FROM shards WHERE attempt_pk IN (SELECT pk FROM attempts WHERE run_pk IN ${runs})) AS shards,
       (SELECT count(*) FROM results WHERE run_pk IN ${runs}) AS results,
       (SELECT count(*) FROM tests WHERE run_pk IN ${runs}) AS tests,
       (SELECT count(*) FROM results WHERE shard_pk NOT IN (SELECT pk FROM shards)) AS "orphanResults"`,
    Array.from({ length: 5 }, () => [runId, runId, runId]).flat(),
    false,
  );
  const r = rows[0]!;
  return {
    runs: Number(r.runs),
    attempts: Number(r.attempts),
    shards: Number(r.shards),
    results: Number(r.results),
    tests: Number(r.tests),
    orphanResults: Number(r.orphanResults),
  };
}

export const NO_ROWS: RunRows = { runs: 0, attempts: 0, shards: 0, results: 0, tests: 0, orphanResults: 0 };
