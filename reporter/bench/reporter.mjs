#!/usr/bin/env node
// Reporter benchmark (`npm run bench`, or `node reporter/bench/reporter.mjs [--quick]` after
// `npx tsc -b reporter`). Every figure is printed next to its limit, measured in the same run, as a
// ratio (pairs interleaved, medians):
//   - JUnit upload over HTTP vs a raw better-sqlite3 insert of the same rows (1k, 10k tests);
//   - GET /failedTests/:runId and GET /api/v1/runs/:runId p50/p99 vs GET /healthz of the same server;
//   - EXPLAIN QUERY PLAN of every hot query;
//   - server RSS idle vs after a large upload (50 MB; 5 MB in --quick).
// --quick (what the test runs): 100 000 stored results instead of 1 000 000, fewer samples.
// Figures only: it never fails on a number (the tests assert behaviour).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseJUnit } from '@dozhim/core';
import { openDatabase, Repository } from '../dist/index.js';

const QUICK = process.argv.includes('--quick');
const BIN = fileURLToPath(new URL('../bin/dozhim-reporter.js', import.meta.url));
const RUNS = QUICK ? 10 : 100;
const TESTS_PER_RUN = 9_500;
const RERUNS_PER_RUN = 500; // RUNS × (9 500 + 500): 1 000 000 results (100 000 quick)
const PAIRS = QUICK ? 3 : 7;
const QUERIES = QUICK ? 100 : 1_000;
const BIG_UPLOAD_MB = QUICK ? 5 : 49.5;

const dir = mkdtempSync(join(tmpdir(), 'dozhim-reporter-bench-'));
const dbPath = join(dir, 'bench.sqlite');

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const ms = (n) => `${n.toFixed(2)} ms`;
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const ratio = (n) => `${n.toFixed(2)}x`;

function junitXml(count, tag, withOutput = false) {
  const cases = [];
  for (let i = 0; i < count; i++) {
    const name = `test_${tag}_${String(i).padStart(6, '0')}`;
    const open = `<testcase classname="bench.module${i % 50}.Class${i % 7}" name="${name}" time="0.${(i % 900) + 100}"`;
    const out = withOutput ? `<system-out>${'GET /api/items -> 200 OK; '.repeat(18)}</system-out>` : '';
    cases.push(
      i % 20 === 0
        ? `${open}><failure message="AssertionError: expected 200 got 503" type="AssertionError">Traceback (most recent call last):\n  File "bench/module${i % 50}.py", line ${i % 300}, in ${name}\n    assert resp.status == 200\nAssertionError: expected 200 got 503</failure><system-out>GET /api/items -> 503</system-out></testcase>`
        : out
          ? `${open}>${out}</testcase>`
          : `${open}/>`,
    );
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites><testsuite name="bench" tests="${count}">\n${cases.join('\n')}\n</testsuite></testsuites>\n`;
}

function result(id, status) {
  const [classname, name] = id.split('::');
  return {
    id,
    suite: 'bench',
    classname,
    name,
    status,
    durationMs: 120,
    properties: {},
    retries: [],
    ...(status === 'failed'
      ? { message: 'AssertionError: expected 200 got 503', type: 'AssertionError' }
      : {}),
  };
}

function seed() {
  const db = openDatabase(dbPath);
  const repo = new Repository(db);
  const now = new Date().toISOString();
  const t0 = performance.now();
  for (let run = 0; run < RUNS; run++) {
    const runId = `seed-run-${run}`;
    const ids = Array.from(
      { length: TESTS_PER_RUN },
      (_, i) => `bench.module${i % 50}.Class${i % 7}::test_${String(i).padStart(6, '0')}`,
    );
    // Attempt 1: the last 500 fail, split over 4 shards; attempt 2 reruns them and half pass.
    const failingFrom = TESTS_PER_RUN - RERUNS_PER_RUN;
    const first = ids.map((id, i) => result(id, i >= failingFrom ? 'failed' : 'passed'));
    const quarter = Math.ceil(first.length / 4);
    for (let s = 0; s < 4; s++)
      repo.writeShard(
        { runId, attempt: 1, shard: `${s + 1}/4`, now },
        first.slice(s * quarter, (s + 1) * quarter),
        'replace',
      );
    const second = ids.slice(failingFrom).map((id, i) => result(id, i % 2 === 0 ? 'passed' : 'failed'));
    repo.writeShard({ runId, attempt: 2, shard: 'default', now }, second, 'replace');
  }
  const seconds = (performance.now() - t0) / 1000;
  const rows = db.prepare('SELECT count(*) AS n FROM results').get().n;
  const plans = repo.hotQueryPlans();
  db.close();
  return { rows, seconds, plans };
}

/**
 * The limit for an upload: the same parsed rows inserted with bare prepared INSERTs (positional
 * binds, one transaction; per row a `tests` row and a `results` row, as the schema stores them) by
 * a second connection into the same database the server writes (same indexes, same size): what
 * SQLite itself costs. The rows go to a run of their own, deleted after.
 */
function rawInsertMs(results, tag) {
  const db = openDatabase(dbPath);
  try {
    const now = new Date().toISOString();
    const run = db
      .prepare('INSERT INTO runs (run_id, created_at, updated_at) VALUES (?, ?, ?)')
      .run(`raw-${tag}`, now, now);
    const runPk = Number(run.lastInsertRowid);
    const attemptPk = Number(
      db
        .prepare('INSERT INTO attempts (run_pk, number, created_at, updated_at) VALUES (?, 1, ?, ?)')
        .run(runPk, now, now).lastInsertRowid,
    );
    const shardPk = Number(
      db
        .prepare("INSERT INTO shards (attempt_pk, name, uploaded_at) VALUES (?, 'default', ?)")
        .run(attemptPk, now).lastInsertRowid,
    );
    // The store's schema: a row of the run's tests dictionary, then the result with its key.
    const insertTest = db.prepare(
      'INSERT INTO tests (run_pk, test_id, suite, classname, name) VALUES (?, ?, ?, ?, ?)',
    );
    const insert = db.prepare(
      `INSERT INTO results (shard_pk, run_pk, attempt_no, test_pk, status, duration_ms, file, line,
         message, type, details, stdout, stderr)
       VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const severity = { skipped: 0, passed: 1, failed: 2, error: 3 };
    const t = performance.now();
    db.transaction(() => {
      for (const r of results) {
        const testPk = insertTest.run(runPk, r.id, r.suite, r.classname, r.name).lastInsertRowid;
        insert.run(
          shardPk,
          runPk,
          testPk,
          severity[r.status],
          r.durationMs,
          r.file ?? null,
          r.line ?? null,
          r.message ?? null,
          r.type ?? null,
          r.details ?? null,
          r.stdout ?? null,
          r.stderr ?? null,
        );
      }
    })();
    const elapsed = performance.now() - t;
    db.prepare('DELETE FROM runs WHERE pk = ?').run(runPk);
    return elapsed;
  } finally {
    db.close();
  }
}

async function start() {
  const proc = spawn(process.execPath, [BIN, '--port', '0', '--db', dbPath], {
    env: { ...process.env, DOZHIM_LOG_LEVEL: 'warn', DOZHIM_TOKEN: '', DOZHIM_READ_TOKEN: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`reporter did not start: ${out}`)), 30_000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.once('exit', (code) => reject(new Error(`reporter exited ${code}: ${out}`)));
  });
  const rssMiB = () => {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'));
    return Number(m[1]) / 1024;
  };
  const stop = () =>
    new Promise((resolve) => {
      proc.once('exit', resolve);
      proc.kill('SIGTERM');
    });
  return { url, stop, rssMiB };
}

async function timedGet(url) {
  const t = performance.now();
  const res = await fetch(url);
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`GET ${url} → ${res.status}`);
  return performance.now() - t;
}

async function upload(url, runId, xml) {
  const t = performance.now();
  const res = await fetch(`${url}/api/v1/runs/${runId}/attempts/1/junit`, {
    method: 'POST',
    headers: { 'content-type': 'application/xml' },
    body: xml,
  });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`upload failed: ${res.status} ${JSON.stringify(body)}`);
  return { ms: performance.now() - t, counts: body.counts };
}

/** Latencies of `path` and of /healthz, requests interleaved one by one. */
async function versusHealth(url, path) {
  const read = [];
  const health = [];
  for (let i = 0; i < QUERIES; i++) {
    read.push(await timedGet(`${url}${path(i)}`));
    health.push(await timedGet(`${url}/healthz`));
  }
  return { read, health };
}

async function main() {
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`reporter bench${QUICK ? ' (quick)' : ''}: node ${process.version}, load average ${load}`);
  const seeded = seed();
  console.log(
    `seed: ${fmt(seeded.rows)} results in ${RUNS} runs via Repository in ${seeded.seconds.toFixed(1)} s (${fmt(seeded.rows / seeded.seconds)} rows/s)`,
  );
  console.log('EXPLAIN QUERY PLAN of the hot queries:');
  for (const [name, lines] of Object.entries(seeded.plans)) console.log(`  ${name}: ${lines.join(' | ')}`);

  const server = await start();
  try {
    for (let i = 0; i < 30; i++) {
      await timedGet(`${server.url}/failedTests/seed-run-${i % RUNS}`);
      await timedGet(`${server.url}/healthz`);
    }
    const idleRss = server.rssMiB();

    // 1. /failedTests and /runs/:id vs /healthz of the same server.
    const failed = await versusHealth(server.url, (i) => `/failedTests/seed-run-${(i * 37) % RUNS}`);
    const answer = await (await fetch(`${server.url}/failedTests/seed-run-0`)).json();
    console.log(
      `GET /failedTests/:runId (10 000-result run of ${fmt(seeded.rows)} stored, ${answer.data.length} failing): p50 ${ms(pct(failed.read, 50))} = ${ratio(pct(failed.read, 50) / pct(failed.health, 50))} /healthz p50 ${ms(pct(failed.health, 50))} (limit 1.5x); p99 ${ms(pct(failed.read, 99))} = ${ratio(pct(failed.read, 99) / pct(failed.health, 99))} /healthz p99 ${ms(pct(failed.health, 99))} (limit 2x); ${QUERIES} interleaved pairs`,
    );
    const detail = await versusHealth(server.url, (i) => `/api/v1/runs/seed-run-${(i * 37) % RUNS}`);
    console.log(
      `GET /api/v1/runs/:runId (10 000-result run, SQL summary in the read worker): p50 ${ms(pct(detail.read, 50))} (limit 30 ms) = ${ratio(pct(detail.read, 50) / pct(detail.health, 50))} /healthz p50; p99 ${ms(pct(detail.read, 99))} = ${ratio(pct(detail.read, 99) / pct(detail.health, 99))} /healthz p99`,
    );

    // 2. Upload vs raw insert of the same rows, interleaved pairs. The parse worker starts with the
    // first upload and runs cold (JIT) for its first few; it then stays up for 10 minutes, so a
    // reporter in use answers warm: WARMUP uploads of each size first, as the reads above are warmed,
    // and the cold first upload is printed too (what the first upload after a restart costs).
    const WARMUP = 5;
    for (const tests of [1_000, 10_000]) {
      const xml = junitXml(tests, `u${tests}`);
      const rows = parseJUnit(xml).results;
      const ratios = [];
      const uploads = [];
      const raws = [];
      const cold = [];
      for (let i = 0; i < WARMUP; i++) {
        cold.push((await upload(server.url, `warmup-${tests}-${i}`, xml)).ms);
        rawInsertMs(rows, `warmup-${tests}-${i}`);
      }
      for (let i = 0; i < PAIRS; i++) {
        const up = await upload(server.url, `upload-${tests}-${i}`, xml);
        if (up.counts.total !== tests) throw new Error(`stored ${up.counts.total} of ${tests}`);
        const raw = rawInsertMs(rows, `${tests}-${i}`);
        uploads.push(up.ms);
        raws.push(raw);
        ratios.push(raw / up.ms);
      }
      const limit = tests === 1_000 ? 0.3 : 0.6;
      console.log(
        `POST junit ${fmt(tests)} tests (${(Buffer.byteLength(xml) / 1024 / 1024).toFixed(2)} MB): upload ${ms(pct(uploads, 50))} vs raw better-sqlite3 insert of the same rows ${ms(pct(raws, 50))}: speed ${ratio(pct(ratios, 50))} of raw (limit >= ${limit}x; median of ${PAIRS} interleaved pairs after ${WARMUP} warm-up uploads: ${cold.map((x) => x.toFixed(0)).join(', ')} ms)`,
      );
    }

    // 3. RSS idle vs after a large upload: the workers stop after 5 s idle; the HTTP thread's next
    // major GC comes later, so RSS is sampled at two points.
    const perTest = Buffer.byteLength(junitXml(1000, 'big', true)) / 1000;
    const big = junitXml(Math.floor((BIG_UPLOAD_MB * 1024 * 1024) / perTest), 'big', true);
    const up = await upload(server.url, 'big-upload', big);
    const peak = server.rssMiB();
    await new Promise((r) => setTimeout(r, 8_000));
    const at8 = server.rssMiB();
    await new Promise((r) => setTimeout(r, 12_000));
    const after = server.rssMiB();
    console.log(
      `RSS: idle ${idleRss.toFixed(0)} MiB; right after a ${(Buffer.byteLength(big) / 1024 / 1024).toFixed(1)} MB upload (${fmt(up.counts.total)} tests, ${(up.ms / 1000).toFixed(1)} s) ${peak.toFixed(0)} MiB; 8 s later ${at8.toFixed(0)} MiB; 20 s later ${after.toFixed(0)} MiB = ${ratio(after / idleRss)} idle (limit 1.5x)`,
    );
  } finally {
    await server.stop();
  }
}

const t0 = performance.now();
main()
  .then(() => console.log(`bench took ${((performance.now() - t0) / 1000).toFixed(0)} s`))
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => rmSync(dir, { recursive: true, force: true }));
