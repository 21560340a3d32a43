#!/usr/bin/env node
// PostgreSQL storage benchmark (`npm run bench`, or `node reporter/bench/pg.mjs [--quick]` after
// `npx tsc -b reporter`). Every figure next to its limit measured in the same run (pairs
// interleaved, medians):
//   - PostgreSQL ingest (PgStorage.writeResults: guards, run lock, test dictionary, multi-row
//     unnest inserts) vs a raw `pg` insert of the same rows (runs/attempts/shards/tests/results, one
//     transaction, same unnest statements, no guards);
//   - SQLite ingest through the Storage interface (SqliteStorage.writeResults) vs the direct
//     Repository.writeShard call (the "before" of the interface), same rows, same file;
//   - GET /failedTests/:runId p50/p99 vs GET /healthz of the same real bin on PostgreSQL, with 1 M
//     and then 10 M stored results (background rows made server-side with generate_series).
// --quick: 100 k and 1 M stored results, fewer samples. Figures only: never fails on a number.
// Needs Debian's postgresql-15 (initdb/pg_ctl are run as the `postgres` user, as the tests do).
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { encodeTestIdentity, severityOf } from '../dist/db/rows.js';
import * as SQL from '../dist/db/sql.js';
import { openDatabase, Repository } from '../dist/index.js';
import { toPg, toPgBatchInsert } from '../dist/storage/dialect.js';
import { PgStorage } from '../dist/storage/pg-storage.js';
import { SqliteStorage } from '../dist/storage/sqlite-storage.js';

const QUICK = process.argv.includes('--quick');
const BIN = fileURLToPath(new URL('../bin/dozhim-reporter.js', import.meta.url));
const PG_BIN = '/usr/lib/postgresql/15/bin';
const ROWS = 10_000; // one upload
const PAIRS = QUICK ? 3 : 7;
const QUERIES = QUICK ? 100 : 400;
const SCALES = QUICK ? [100_000, 1_000_000] : [1_000_000, 10_000_000];
const PER_RUN = 10_000; // background results per run

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const median = (xs) => pct(xs, 50);
const ms = (n) => `${n.toFixed(2)} ms`;
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const now = () => new Date().toISOString();
const time = async (fn) => {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
};

function rows(tag) {
  return Array.from({ length: ROWS }, (_, i) => ({
    id: `pkg.C${i % 50}::${tag}_${i}`,
    suite: 'suite',
    classname: `pkg.C${i % 50}`,
    name: `${tag}_${i}`,
    status: i % 50 === 0 ? 'failed' : 'passed',
    durationMs: i % 7,
    ...(i % 50 === 0
      ? { message: 'expected 1 to be 2', type: 'AssertionError', details: 'at x.test:1' }
      : {}),
    properties: { os: 'linux' },
    retries: [],
  }));
}

// ---- a throwaway PostgreSQL cluster (as test/helpers/postgres.ts does) ----
const freePort = () =>
  new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
const asPg = (cmd, args) =>
  execFileSync('runuser', ['-u', 'postgres', '--', join(PG_BIN, cmd), ...args], { stdio: 'pipe' });
const dir = mkdtempSync(join(tmpdir(), 'dozhim-pg-bench-'));
chownSync(
  dir,
  Number(execFileSync('id', ['-u', 'postgres'])),
  Number(execFileSync('id', ['-g', 'postgres'])),
);
const port = await freePort();
asPg('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
// Durable settings (fsync on, synchronous_commit on): ingest figures as a real server would give.
asPg('pg_ctl', [
  '-D',
  join(dir, 'data'),
  '-o',
  `-c port=${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c shared_buffers=256MB -c max_wal_size=4GB`,
  '-w',
  '-l',
  join(dir, 'log'),
  'start',
]);
const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
const sqliteDir = mkdtempSync(join(tmpdir(), 'dozhim-sqlite-bench-'));
let server;
try {
  await ingest();
  await scale();
} finally {
  server?.kill('SIGKILL');
  asPg('pg_ctl', ['-D', join(dir, 'data'), '-m', 'immediate', 'stop']);
  rmSync(dir, { recursive: true, force: true });
  rmSync(sqliteDir, { recursive: true, force: true });
}

async function ingest() {
  const store = await PgStorage.open(url);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  // The raw insert: the same unnest statements on the same tables, no guards, no lock, no lookups.
  const insertTests = `${toPgBatchInsert(toPg(SQL.INSERT_TEST), ['bigint', 'text', 'text', 'text', 'text'])} RETURNING pk`;
  const insertResults = toPgBatchInsert(toPg(SQL.INSERT_RESULT), [
    'bigint',
    'bigint',
    'integer',
    'bigint',
    'smallint',
    'double precision',
    'text',
    'integer',
    'text',
    'text',
    'text',
    'text',
    'text',
    'bigint',
    'text',
    'text',
    'text',
    'text',
  ]);
  const raw = async (runId, rs) => {
    await client.query('BEGIN');
    const t = now();
    const runPk = (
      await client.query(
        "INSERT INTO runs (run_id, labels, created_at, updated_at) VALUES ($1, '{}', $2, $2) RETURNING pk",
        [runId, t],
      )
    ).rows[0].pk;
    const attemptPk = (await client.query(toPg(SQL.INSERT_ATTEMPT).text, [runPk, 1, t, t])).rows[0].pk;
    const shardPk = (await client.query(toPg(SQL.INSERT_SHARD).text, [attemptPk, 'default', t])).rows[0].pk;
    for (let i = 0; i < rs.length; i += 2000) {
      const b = rs.slice(i, i + 2000);
      const enc = b.map((r) => encodeTestIdentity(r.id, r));
      const pks = (
        await client.query(`${insertTests}`, [
          b.map(() => runPk),
          b.map((r) => r.id),
          enc.map((e) => e.suite),
          enc.map((e) => e.classname),
          enc.map((e) => e.name),
        ])
      ).rows.map((r) => r.pk);
      const col = (f) => b.map(f);
      await client.query(insertResults, [
        col(() => shardPk),
        col(() => runPk),
        col(() => 1),
        pks,
        col((r) => severityOf(r.status)),
        col((r) => r.durationMs),
        col(() => null),
        col(() => null),
        col((r) => r.message ?? null),
        col((r) => r.type ?? null),
        col((r) => r.details ?? null),
        col(() => null),
        col(() => null),
        col(() => null),
        col(() => null),
        col(() => null),
        col(() => null),
        col(() => null),
      ]);
    }
    await client.query('COMMIT');
  };
  const pgMs = [];
  const rawMs = [];
  for (let i = 0; i < PAIRS; i++) {
    const rs = rows(`t${i}`);
    pgMs.push(
      await time(() =>
        store.writeResults({
          runId: `pg-${i}`,
          attempt: 1,
          shard: 'default',
          results: rs,
          now: now(),
          replace: true,
        }),
      ),
    );
    rawMs.push(await time(() => raw(`raw-${i}`, rs)));
  }
  const p = median(pgMs);
  const r = median(rawMs);
  console.log(`PostgreSQL ingest of ${fmt(ROWS)} results (median of ${PAIRS}, fsync on):`);
  console.log(`  PgStorage.writeResults  ${ms(p)}  (${fmt((ROWS / p) * 1000)} results/s)`);
  console.log(`  raw pg insert, same rows ${ms(r)}  (${fmt((ROWS / r) * 1000)} results/s)`);
  console.log(`  ratio ${(p / r).toFixed(2)}x of raw`);
  await client.end();
  await store.close();

  // SQLite: the Storage interface vs the direct Repository call, same rows, same file, interleaved.
  const db = openDatabase(join(sqliteDir, 'bench.sqlite'));
  const repo = new Repository(db);
  const sqlite = new SqliteStorage(repo);
  const before = [];
  const after = [];
  for (let i = 0; i < PAIRS * 2; i++) {
    const rs = rows(`s${i}`);
    const runBefore = () =>
      time(() =>
        repo.writeShard({ runId: `before-${i}`, attempt: 1, shard: 'default', now: now() }, rs, 'replace'),
      );
    const runAfter = () =>
      time(() =>
        sqlite.writeResults({
          runId: `after-${i}`,
          attempt: 1,
          shard: 'default',
          results: rs,
          now: now(),
          replace: true,
        }),
      );
    // Alternating which goes first: the file grows with every write, so order would bias the pair.
    if (i % 2 === 0) {
      before.push(await runBefore());
      after.push(await runAfter());
    } else {
      after.push(await runAfter());
      before.push(await runBefore());
    }
  }
  const b = median(before);
  const a = median(after);
  console.log(`SQLite ingest of ${fmt(ROWS)} results (median of ${PAIRS * 2}):`);
  console.log(`  before: Repository.writeShard   ${ms(b)}`);
  console.log(`  after:  SqliteStorage.writeResults ${ms(a)}`);
  console.log(`  after/before ${(a / b).toFixed(3)}x (issue 13: within 1.10x)`);
  db.close();
}

async function scale() {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const count = async () => Number((await client.query('SELECT count(*) AS n FROM results')).rows[0].n);
  await client.query('CREATE TEMP TABLE bg (shard_pk bigint, run_pk bigint)');
  let nextRun = 0;
  /** Background runs made by PostgreSQL itself: 10 000 results each (2% failing), 100 runs a statement. */
  const fillTo = async (target) => {
    const t0 = Date.now();
    // The background is test data, not what is measured: no need to wait for its WAL flushes.
    await client.query('SET synchronous_commit = off');
    for (let have = await count(); have < target; have = await count()) {
      const runs = Math.min(100, Math.ceil((target - have) / PER_RUN));
      const t = now();
      await client.query('TRUNCATE bg');
      await client.query(
        `WITH r AS (INSERT INTO runs (run_id, labels, created_at, updated_at)
                    SELECT 'bg-' || g, '{}', $3, $3 FROM generate_series($1::int, $2::int) g RETURNING pk),
              a AS (INSERT INTO attempts (run_pk, number, created_at, updated_at) SELECT pk, 1, $3, $3 FROM r RETURNING pk, run_pk),
              s AS (INSERT INTO shards (attempt_pk, name, uploaded_at, passed, failed)
                    SELECT pk, 'default', $3, $4 - $4 / 50, $4 / 50 FROM a RETURNING pk, attempt_pk)
         INSERT INTO bg SELECT s.pk, a.run_pk FROM s JOIN a ON a.pk = s.attempt_pk`,
        [nextRun, nextRun + runs - 1, t, PER_RUN],
      );
      nextRun += runs;
      await client.query(
        `WITH t AS (INSERT INTO tests (run_pk, test_id)
                    SELECT b.run_pk, 'pkg.C' || (i % 100) || '::test_' || i FROM bg b CROSS JOIN generate_series(1, $1::int) i
                    RETURNING pk, run_pk)
         INSERT INTO results (shard_pk, run_pk, attempt_no, test_pk, status, duration_ms)
         SELECT b.shard_pk, t.run_pk, 1, t.pk, CASE WHEN t.pk % 50 = 0 THEN 2 ELSE 1 END, 1 FROM t JOIN bg b ON b.run_pk = t.run_pk`,
        [PER_RUN],
      );
    }
    await client.query('SET synchronous_commit = on');
    await client.query('ANALYZE');
    return (Date.now() - t0) / 1000;
  };

  server = spawn(process.execPath, [BIN, '--port', '0', '--db', url], {
    env: { ...process.env, DOZHIM_LOG_LEVEL: 'warn', DOZHIM_TOKEN: '', DOZHIM_READ_TOKEN: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const base = await new Promise((res, rej) => {
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) res(m[1]);
    });
    server.once('exit', (c) => rej(new Error(`reporter exited ${c}`)));
  });
  // The run that is asked for: 5 000 results, 100 failing, uploaded through the API.
  const cases = Array.from({ length: 5000 }, (_, i) => ({
    name: `t_${i}`,
    status: i % 50 === 0 ? 'failed' : 'passed',
  }));
  const put = await fetch(`${base}/api/v1/runs/target/attempts/1/results?shard=default`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ results: cases.map((c) => ({ classname: 'pkg.Target', ...c })) }),
  });
  if (put.status !== 200) throw new Error(`upload failed: ${put.status} ${await put.text()}`);

  for (const target of SCALES) {
    const s = await fillTo(target);
    const total = await count();
    const failed = [];
    const health = [];
    for (let i = 0; i < QUERIES; i++) {
      failed.push(
        await time(async () => {
          const r = await fetch(`${base}/failedTests/target`);
          const body = await r.json();
          if (body.data.length !== 100) throw new Error(`expected 100 failing, got ${body.data.length}`);
        }),
      );
      health.push(await time(async () => (await fetch(`${base}/healthz`)).text()));
    }
    const plan = (
      await client.query(`EXPLAIN ${toPg(SQL.FAILING_IDS).text.replaceAll('$1', '1').replaceAll('$2', '1')}`)
    ).rows.map((r) => r['QUERY PLAN'].trim());
    console.log(
      `/failedTests with ${fmt(total)} stored results (background filled in ${s.toFixed(0)} s), ${QUERIES} requests each, interleaved:`,
    );
    console.log(`  /failedTests p50 ${ms(median(failed))} p99 ${ms(pct(failed, 99))}`);
    console.log(`  /healthz     p50 ${ms(median(health))} p99 ${ms(pct(health, 99))}`);
    console.log(`  p99 ratio ${(pct(failed, 99) / pct(health, 99)).toFixed(2)}x of /healthz`);
    console.log(`  plan: ${plan.filter((l) => /Scan|Join|Loop/.test(l)).join(' | ')}`);
  }
  const size = (
    await client.query(
      "SELECT pg_size_pretty(pg_database_size('postgres')) AS s, pg_database_size('postgres') AS b",
    )
  ).rows[0];
  const n = await count();
  console.log(
    `database size at ${fmt(n)} results: ${size.s} (${fmt(Number(size.b) / n)} bytes per result, indexes and test dictionary included)`,
  );
  await client.end();
}
