import Database from 'better-sqlite3';
import type pg from 'pg';
import { MIGRATIONS } from '../db/migrations.js';
import { PgStorage } from '../storage/pg-storage.js';
import { isPostgresUrl, redactDbUrl } from '../storage/storage.js';

/** Tables in foreign-key order; every column has the same name in both schemas. */
const TABLES = ['runs', 'attempts', 'shards', 'property_sets', 'tests', 'results'] as const;
/** Rows per INSERT (one JSON parameter each). */
const BATCH = 5000;

export interface MigrateIo {
  stdout: (s: string) => void;
}

const USAGE =
  'usage: dozhim-reporter migrate --from sqlite:<path> --to postgres://user@host:5432/db\n' +
  '  Copies every run, attempt, shard and result of the SQLite file into an empty PostgreSQL database\n' +
  '  (its schema is created first), in one transaction: all or nothing. The SQLite file is only read.\n';

function parseArgs(argv: readonly string[]): { from: string; to: string } | string {
  let from: string | undefined;
  let to: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const value = inline ?? argv[++i];
    if (flag === '--from') from = value;
    else if (flag === '--to') to = value;
    else if (flag === '--help' || flag === '-h') return '';
    else return `unknown argument ${argv[i]}`;
  }
  if (!from || !to) return 'both --from and --to are required';
  if (!isPostgresUrl(to)) return `--to must be a postgres:// URL, got ${to}`;
  return { from: from.replace(/^sqlite:/, ''), to };
}

/**
 * `dozhim-reporter migrate --from sqlite:<path> --to postgres://..`: moves a SQLite database to
 * PostgreSQL with its keys, so every answer (summary, failedTests, test pages and their cursors,
 * report.xml, run list cursors) is the same afterwards. Refuses a target that already holds runs
 * (no merging: two sources' keys would collide). Returns the exit code (0 ok, 1 failed, 2 usage).
 */
export async function runMigrateCommand(argv: readonly string[], io: MigrateIo): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    io.stdout(args ? `dozhim-reporter migrate: ${args}\n${USAGE}` : USAGE);
    return args ? 2 : 0;
  }
  let source: Database.Database;
  try {
    source = new Database(args.from, { readonly: true, fileMustExist: true });
  } catch (e) {
    io.stdout(`dozhim-reporter migrate: cannot open ${args.from}: ${(e as Error).message}\n`);
    return 1;
  }
  try {
    const version = source.pragma('user_version', { simple: true }) as number;
    if (version !== MIGRATIONS.length) {
      io.stdout(
        `dozhim-reporter migrate: ${args.from} has schema version ${version}, this dozhim-reporter ${MIGRATIONS.length}; start this dozhim-reporter on it once (it migrates the file), then migrate\n`,
      );
      return 1;
    }
    // Creates (or checks) the PostgreSQL schema under the migration lock.
    const target = await PgStorage.open(args.to);
    try {
      const counts = await copyAll(source, target.pool);
      for (const t of TABLES) io.stdout(`${t}: ${counts[t]} rows\n`);
      io.stdout(`migrated ${args.from} to ${redactDbUrl(args.to)}\n`);
      return 0;
    } finally {
      await target.close();
    }
  } catch (e) {
    io.stdout(`dozhim-reporter migrate: ${(e as Error).message}\n`);
    return 1;
  } finally {
    source.close();
  }
}

async function copyAll(source: Database.Database, pool: pg.Pool): Promise<Record<string, number>> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    // Any row in any of the tables (also property sets or tests left after runs were deleted) would
    // collide with the copied keys.
    const held: string[] = [];
    for (const t of TABLES) {
      const { n } = (await c.query(`SELECT count(*) AS n FROM ${t}`)).rows[0] as { n: number };
      if (n > 0) held.push(`${n} ${t}`);
    }
    if (held.length > 0)
      throw new Error(`the target database already holds ${held.join(', ')}; migrate into an empty one`);
    const counts: Record<string, number> = {};
    // One read transaction over every table: a reporter still writing the file (WAL) cannot make
    // the copy hold a result whose test or shard row was copied before it changed.
    source.exec('BEGIN');
    source.prepare('SELECT count(*) FROM runs').get();
    for (const table of TABLES) {
      const columns = (source.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name);
      const list = columns.join(', ');
      // json_populate_recordset maps each JSON object onto the table's row type: one parameter per
      // batch, PostgreSQL converts every column to its own type.
      const insert = `INSERT INTO ${table} (${list}) SELECT ${list} FROM json_populate_recordset(NULL::${table}, $1)`;
      let n = 0;
      let batch: unknown[] = [];
      for (const row of source.prepare(`SELECT ${list} FROM ${table} ORDER BY pk`).iterate()) {
        batch.push(row);
        if (batch.length === BATCH) {
          await c.query(insert, [JSON.stringify(batch)]);
          n += batch.length;
          batch = [];
        }
      }
      if (batch.length > 0) await c.query(insert, [JSON.stringify(batch)]);
      n += batch.length;
      // Identity sequences continue after the copied keys.
      await c.query(
        `SELECT setval(pg_get_serial_sequence('${table}', 'pk'), coalesce((SELECT max(pk) FROM ${table}), 0) + 1, false)`,
      );
      counts[table] = n;
    }
    source.exec('COMMIT');
    // Reads join results to their test and shard rows: a result without either would vanish from
    // every answer (a failure included). Refuse to commit such a copy.
    const orphans = (
      await c.query(
        `SELECT count(*) AS n FROM results r
         WHERE NOT EXISTS (SELECT 1 FROM tests t WHERE t.pk = r.test_pk)
            OR NOT EXISTS (SELECT 1 FROM shards s WHERE s.pk = r.shard_pk)`,
      )
    ).rows[0] as { n: number };
    if (Number(orphans.n) > 0)
      throw new Error(`${orphans.n} results of the copy have no test or shard row; nothing was migrated`);
    await c.query('COMMIT');
    return counts;
  } catch (e) {
    if (source.inTransaction) source.exec('ROLLBACK');
    await c.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    c.release();
  }
}
