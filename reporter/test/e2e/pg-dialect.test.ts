import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/db/migrations.js';
import * as SQL from '../../src/db/sql.js';
import { orIgnore, toPg, toPgBatchInsert } from '../../src/storage/dialect.js';
import { MIGRATION_LOCK_KEY, migratePg, PG_MIGRATIONS } from '../../src/storage/pg-migrations.js';
import { pgProblemOf, SQLITE_ONLY } from '../../src/storage/pg-storage.js';
import { type PgCluster, startPostgres } from '../helpers/postgres.js';

// The dialect function on every SQL text of db/sql.ts (what the SQLite repository prepares), each converted and
// prepared (parsed, typed, planned) by a real PostgreSQL 15 against the PG schema; and the PG
// migrations under two replicas starting at once.

/** Every SQL text of db/sql.ts (the one definition both backends run). */
const statements = (): Record<string, string> =>
  Object.fromEntries(
    Object.entries(SQL).filter(
      (e): e is [string, string] => typeof e[1] === 'string' && !SQLITE_ONLY.has(e[0]),
    ),
  );

let cluster: PgCluster;
let url: string;
beforeAll(async () => {
  cluster = await startPostgres();
  url = await cluster.createDatabase();
});
afterAll(() => cluster?.stop());

describe('toPg (pure)', () => {
  it('numbers ? parameters and leaves ? inside string literals and quoted names alone', () => {
    expect(toPg("SELECT '?', \"a?b\" FROM t WHERE a = ? AND b = 'it''s ?' AND c = ?").text).toBe(
      "SELECT '?', \"a?b\" FROM t WHERE a = $1 AND b = 'it''s ?' AND c = $2",
    );
  });

  it('refuses a named parameter (db/sql.ts binds positionally), but not an @ inside a literal', () => {
    expect(() => toPg('UPDATE t SET a = @a')).toThrow(/named parameter/);
    expect(toPg("SELECT 'a@b' WHERE x = ?")).toEqual({ text: "SELECT 'a@b' WHERE x = $1", params: 1 });
  });

  it('drops INDEXED BY, types a parameter only tested for NULL', () => {
    expect(toPg('SELECT x FROM results f INDEXED BY results_failing WHERE f.a = ?').text).toBe(
      'SELECT x FROM results f WHERE f.a = $1',
    );
    expect(toPg('WHERE (? IS NULL OR p = ?)').text).toBe('WHERE ($1::text IS NULL OR p = $2)');
  });

  it('quotes a camelCase alias (PostgreSQL would fold it to lower case), leaves lower-case ones', () => {
    expect(toPg('SELECT s.uploaded_at AS uploadedAt, a.number AS attempt FROM s').text).toBe(
      'SELECT s.uploaded_at AS "uploadedAt", a.number AS attempt FROM s',
    );
  });

  it('names an unnamed FROM subquery (PostgreSQL 15 needs it) and keeps a named one', () => {
    expect(toPg('SELECT a FROM (SELECT 1 AS a FROM t WHERE (x)) GROUP BY a').text).toBe(
      'SELECT a FROM (SELECT 1 AS a FROM t WHERE (x)) AS q1 GROUP BY a',
    );
    expect(toPg('SELECT a FROM (SELECT 1 AS a) sub').text).toBe('SELECT a FROM (SELECT 1 AS a) sub');
    expect(toPg('SELECT a FROM (SELECT 1 AS a)').text).toBe('SELECT a FROM (SELECT 1 AS a) AS q1');
  });

  it('makes a batch insert from a positional one, and refuses one it cannot map', () => {
    const st = toPg('INSERT INTO t (a, b) VALUES (?, ?) ON CONFLICT (a) DO UPDATE SET b = excluded.b');
    expect(toPgBatchInsert(st, ['bigint', 'text'])).toBe(
      'INSERT INTO t (a, b) SELECT * FROM unnest($1::bigint[], $2::text[]) ON CONFLICT (a) DO UPDATE SET b = excluded.b',
    );
    expect(() => toPgBatchInsert(st, ['bigint'])).toThrow(/expected 1/);
    expect(() => toPgBatchInsert(toPg('INSERT INTO t (a, b) SELECT a, b FROM u'), ['text'])).toThrow(
      /no VALUES/,
    );
  });

  it('orIgnore puts ON CONFLICT DO NOTHING before RETURNING', () => {
    expect(orIgnore('INSERT INTO t (a) VALUES ($1) RETURNING pk')).toBe(
      'INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING RETURNING pk',
    );
    expect(orIgnore('INSERT INTO t (a) VALUES ($1)')).toBe(
      'INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING',
    );
  });
});

describe('pgProblemOf: which PostgreSQL errors are the storage, not the request', () => {
  it('disk full, read-only and lost connections are storage faults; a protocol error or a constraint is not', () => {
    expect(pgProblemOf({ code: '53100' })).toBe('full');
    expect(pgProblemOf({ code: '25006' })).toBe('readonly');
    expect(pgProblemOf({ code: '08006' })).toBe('io');
    expect(pgProblemOf({ code: '57P01' })).toBe('io');
    expect(pgProblemOf({ code: 'ECONNREFUSED' })).toBe('io');
    expect(pgProblemOf(new Error('Connection terminated unexpectedly'))).toBe('io');
    // A bind-count mismatch (our bug) must surface as a 500, not hide as "storage unavailable".
    expect(pgProblemOf({ code: '08P01' })).toBeUndefined();
    expect(pgProblemOf({ code: '23505' })).toBeUndefined();
    expect(pgProblemOf(new Error('syntax error'))).toBeUndefined();
  });
});

describe('every statement of db/sql.ts on a real PostgreSQL', () => {
  it('converts and is prepared by PostgreSQL against the PG schema (parsed, typed, planned)', async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      expect(await migratePg(client)).toBe(PG_MIGRATIONS.length);
      const all = statements();
      expect(Object.keys(all).length).toBeGreaterThan(30);
      const failures: string[] = [];
      let i = 0;
      for (const [name, sql] of Object.entries(all)) {
        const { text } = toPg(sql);
        expect(text).not.toMatch(/\?|@[a-z]|INDEXED BY/i);
        try {
          await client.query(`PREPARE s${++i} AS ${text}`);
        } catch (e) {
          failures.push(`${name}: ${(e as Error).message}\n  ${text}`);
        }
      }
      expect(failures).toEqual([]);
      // The trap exists: the cluster's default collation is linguistic ('a' sorts before 'B')...
      const trap = await client.query("SELECT 'a' < 'B' AS linguistic, 'a' < ('B' COLLATE \"C\") AS bytes");
      expect(trap.rows[0]).toEqual({ linguistic: true, bytes: false });
      // ...and the id columns are byte-ordered all the same.
      const cols = await client.query(
        "SELECT table_name, column_name FROM information_schema.columns WHERE collation_name = 'C' ORDER BY 1, 2",
      );
      expect(cols.rows.map((r) => `${r.table_name}.${r.column_name}`)).toEqual(
        expect.arrayContaining(['tests.test_id', 'runs.run_id', 'shards.name']),
      );
      // Column names come back as SQLite gives them (camelCase aliases included).
      const shards = await client.query(toPg(SQL.SHARDS).text, [1]);
      expect(shards.fields.map((f) => f.name)).toEqual(['attempt', 'name', 'uploadedAt']);
    } finally {
      await client.end();
    }
  });
});

describe('PG migrations', () => {
  it('mirror the SQLite schema version for version (a new SQLite migration needs its PostgreSQL twin)', () => {
    expect(PG_MIGRATIONS.length).toBe(MIGRATIONS.length);
  });

  it('two replicas migrating one empty database at once: both succeed, the schema is made once', async () => {
    const fresh = await cluster.createDatabase();
    const clients = [0, 1, 2].map(() => new pg.Client({ connectionString: fresh }));
    await Promise.all(clients.map((c) => c.connect()));
    try {
      const versions = await Promise.all(clients.map((c) => migratePg(c)));
      expect(versions).toEqual([PG_MIGRATIONS.length, PG_MIGRATIONS.length, PG_MIGRATIONS.length]);
      const rows = await clients[0]!.query('SELECT version FROM dozhim_schema');
      expect(rows.rows).toEqual([{ version: PG_MIGRATIONS.length }]);
      // Again: nothing to do, same version.
      expect(await migratePg(clients[1]!)).toBe(PG_MIGRATIONS.length);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  });

  it('without the advisory lock the same race fails: the lock is what makes it safe', async () => {
    // The fooling input: if the lock were not needed, this test would show nothing. Run the first
    // migration's DDL from two connections at once with no lock; one of them must fail.
    const fresh = await cluster.createDatabase();
    const a = new pg.Client({ connectionString: fresh });
    const b = new pg.Client({ connectionString: fresh });
    await Promise.all([a.connect(), b.connect()]);
    try {
      const run = async (c: pg.Client) => {
        await c.query('BEGIN');
        await c.query(PG_MIGRATIONS[0]!);
        await new Promise((r) => setTimeout(r, 200));
        await c.query('COMMIT');
      };
      const outcomes = await Promise.allSettled([run(a), run(b)]);
      expect(outcomes.filter((o) => o.status === 'rejected').length).toBe(1);
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });

  it('refuses a database whose schema is newer than it knows', async () => {
    const fresh = await cluster.createDatabase();
    const c = new pg.Client({ connectionString: fresh });
    await c.connect();
    try {
      await migratePg(c);
      await c.query('UPDATE dozhim_schema SET version = version + 1');
      await expect(migratePg(c)).rejects.toThrow(/newer than this dozhim-reporter knows/);
      // The refused start left it as it was.
      const v = await c.query('SELECT version FROM dozhim_schema');
      expect(v.rows[0].version).toBe(PG_MIGRATIONS.length + 1);
      expect(MIGRATION_LOCK_KEY).toBeTypeOf('number');
    } finally {
      await c.end();
    }
  });
});
