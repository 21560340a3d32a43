#!/usr/bin/env node
// Reporter benchmark (run by `npm run bench`, or `node reporter/bench/reporter.mjs` after `npx tsc -b reporter`).
// Prints: upload throughput (test results/s) for a 10 000-test JUnit file, and p50/p99 latency of
// GET /failedTests/:runId with 1 000 000 stored results (seeded through the Repository, queried over
// HTTP against the real bin), plus read latency while uploads run. Not a test: figures only.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase, Repository } from '../dist/index.js';

const BIN = fileURLToPath(new URL('../bin/dozhim-reporter.js', import.meta.url));
const RUNS = 100;
const TESTS_PER_RUN = 9_500;
const RERUNS_PER_RUN = 500; // 100 × (9 500 + 500) = 1 000 000 results
const UPLOAD_TESTS = 10_000;
const UPLOAD_REPEATS = 5;
const QUERIES = 1_000;

const dir = mkdtempSync(join(tmpdir(), 'dozhim-reporter-bench-'));
const dbPath = join(dir, 'bench.sqlite');

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const ms = (n) => `${n.toFixed(2)} ms`;
const fmt = (n) => Math.round(n).toLocaleString('en-US');

function junitXml(count, runTag) {
  const cases = [];
  for (let i = 0; i < count; i++) {
    const name = `test_${runTag}_${String(i).padStart(6, '0')}`;
    const open = `<testcase classname="bench.module${i % 50}.Class${i % 7}" name="${name}" time="0.${(i % 900) + 100}"`;
    cases.push(
      i % 20 === 0
        ? `${open}><failure message="AssertionError: expected 200 got 503" type="AssertionError">Traceback (most recent call last):\n  File "bench/module${i % 50}.py", line ${i % 300}, in ${name}\n    assert resp.status == 200\nAssertionError: expected 200 got 503</failure><system-out>GET /api/items -> 503</system-out></testcase>`
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
      repo.replaceShard(runId, 1, `${s + 1}/4`, first.slice(s * quarter, (s + 1) * quarter), now);
    const second = ids.slice(failingFrom).map((id, i) => result(id, i % 2 === 0 ? 'passed' : 'failed'));
    repo.replaceShard(runId, 2, 'default', second, now);
  }
  const seconds = (performance.now() - t0) / 1000;
  const rows = db.prepare('SELECT count(*) AS n FROM results').get().n;
  db.close();
  return { rows, seconds };
}

async function start() {
  const proc = spawn(process.execPath, [BIN, '--port', '0', '--db', dbPath], {
    env: { ...process.env, DOZHIM_LOG_LEVEL: 'warn', DOZHIM_TOKEN: '', DOZHIM_READ_TOKEN: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`reporter did not start: ${out}`)), 15_000);
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
  const stop = () =>
    new Promise((resolve) => {
      proc.once('exit', resolve);
      proc.kill('SIGTERM');
    });
  return { url, stop };
}

async function timedGet(url) {
  const t = performance.now();
  const res = await fetch(url);
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`GET ${url} → ${res.status}`);
  return performance.now() - t;
}

async function main() {
  console.log(`reporter bench: node ${process.version}, db ${dbPath}`);
  const seeded = seed();
  console.log(
    `seed: ${fmt(seeded.rows)} results in ${RUNS} runs via Repository in ${seeded.seconds.toFixed(1)} s (${fmt(seeded.rows / seeded.seconds)} rows/s)`,
  );

  const server = await start();
  try {
    // 1. /failedTests latency with 1M stored results.
    for (let i = 0; i < 50; i++) await timedGet(`${server.url}/failedTests/seed-run-${i % RUNS}`); // warm-up
    const lat = [];
    for (let i = 0; i < QUERIES; i++)
      lat.push(await timedGet(`${server.url}/failedTests/seed-run-${(i * 37) % RUNS}`));
    lat.sort((a, b) => a - b);
    const answer = await (await fetch(`${server.url}/failedTests/seed-run-0`)).json();
    console.log(
      `GET /failedTests/:runId over ${fmt(seeded.rows)} stored results (10 000 per run, ${answer.data.length} failing): p50 ${ms(pct(lat, 50))}, p99 ${ms(pct(lat, 99))}, max ${ms(lat[lat.length - 1])} (${QUERIES} sequential requests)`,
    );
    const detail = [];
    for (let i = 0; i < 50; i++) detail.push(await timedGet(`${server.url}/api/v1/runs/seed-run-${i}`));
    detail.sort((a, b) => a - b);
    console.log(
      `GET /api/v1/runs/:runId (full state of a 10 000-result run via core runState): p50 ${ms(pct(detail, 50))}, p99 ${ms(pct(detail, 99))}`,
    );

    // 2. Upload throughput of a 10 000-test JUnit file.
    const xml = junitXml(UPLOAD_TESTS, 'u');
    const perSecond = [];
    for (let i = 0; i < UPLOAD_REPEATS; i++) {
      const t = performance.now();
      const res = await fetch(`${server.url}/api/v1/runs/upload-run-${i}/attempts/1/junit`, {
        method: 'POST',
        headers: { 'content-type': 'application/xml' },
        body: xml,
      });
      const body = await res.json();
      const s = (performance.now() - t) / 1000;
      if (res.status !== 200 || body.counts.total !== UPLOAD_TESTS)
        throw new Error(`upload failed: ${JSON.stringify(body)}`);
      perSecond.push(UPLOAD_TESTS / s);
    }
    perSecond.sort((a, b) => a - b);
    console.log(
      `POST junit, ${fmt(UPLOAD_TESTS)}-test file (${(Buffer.byteLength(xml) / 1024 / 1024).toFixed(2)} MB): median ${fmt(pct(perSecond, 50))} results/s (min ${fmt(perSecond[0])}, max ${fmt(perSecond[perSecond.length - 1])}, ${UPLOAD_REPEATS} uploads)`,
    );

    // 3. Reads while 4 uploads of 10 000 tests arrive at once: how long can an upload stall a read?
    const during = [];
    let uploading = true;
    const uploads = Promise.all(
      [0, 1, 2, 3].map((i) =>
        fetch(`${server.url}/api/v1/runs/busy-run/attempts/1/junit?shard=${i + 1}/4`, {
          method: 'POST',
          headers: { 'content-type': 'application/xml' },
          body: junitXml(UPLOAD_TESTS, `b${i}`),
        }).then((r) => r.arrayBuffer()),
      ),
    ).finally(() => {
      uploading = false;
    });
    while (uploading) during.push(await timedGet(`${server.url}/failedTests/seed-run-1`));
    await uploads;
    during.sort((a, b) => a - b);
    console.log(
      `GET /failedTests during 4 concurrent 10 000-test uploads: p50 ${ms(pct(during, 50))}, p99 ${ms(pct(during, 99))}, max ${ms(during[during.length - 1])} (${during.length} requests)`,
    );
  } finally {
    await server.stop();
  }
  console.log(`database file: ${(statSync(dbPath).size / 1024 / 1024).toFixed(0)} MB`);
}

const t0 = performance.now();
main()
  .then(() => console.log(`bench took ${((performance.now() - t0) / 1000).toFixed(0)} s`))
  .finally(() => rmSync(dir, { recursive: true, force: true }));
