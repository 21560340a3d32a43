import type { TestResult, TestStatus } from '@dozhim/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open.js';
import { Repository } from '../../src/db/repository.js';
import { call, junitUrl, runPath, xml } from '../helpers/http.js';
import { junitXml, manyCases } from '../helpers/junit.js';
import { type PgCluster, startPostgres } from '../helpers/postgres.js';
import { buildReporter, type Reporter, runBin, startReporter, tempDir } from '../helpers/server.js';

// `dozhim-reporter migrate --from sqlite:<file> --to postgres://..` on a 100,000-result database:
// afterwards a reporter on PostgreSQL gives the same answers as one on the SQLite file, byte for byte.

const tmp = tempDir();
const file = `${tmp.dir}/source.sqlite`;
let cluster: PgCluster;
let url: string;
let onSqlite: Reporter;
let onPg: Reporter;

const NOW = '2026-01-01T00:00:00.000Z';
const RUNS = 5;
const PER_SHARD = 5_000;

/** Result i of a shard: ids with byte-order traps (upper before lower, non-ASCII), failures, evidence, properties. */
function result(run: number, shard: number, i: number, attempt: number): TestResult {
  const status: TestStatus =
    attempt === 1
      ? i % 50 === 0
        ? 'failed'
        : i % 97 === 0
          ? 'skipped'
          : 'passed'
      : i % 100 === 0
        ? 'failed'
        : 'passed';
  const prefix = ['Alpha', 'alpha', 'Été', 'zeta'][i % 4];
  return {
    id: `${prefix}.C${shard}::test_${String(i).padStart(5, '0')}`,
    suite: `suite-${shard}`,
    classname: `${prefix}.C${shard}`,
    name: `test_${String(i).padStart(5, '0')}`,
    status,
    durationMs: i % 13,
    ...(status === 'failed'
      ? { message: `boom ${i}`, type: 'AssertionError', details: `stack ${run}/${i}` }
      : {}),
    properties: i % 2 === 0 ? { os: 'linux', shard: String(shard) } : {},
    retries: i % 333 === 0 ? [{ kind: 'flakyFailure', message: 'once' }] : [],
  };
}

/** 5 runs × 4 shards × 5,000 in attempt 1 (= 100,000 results) + reruns of the failures; one run with a superseded try. */
function seed(): number {
  const db = openDatabase(file);
  const repo = new Repository(db);
  let total = 0;
  for (let run = 0; run < RUNS; run++) {
    const id = `migrate/run-${run}`;
    repo.upsertRun(
      id,
      { project: 'shop', branch: run % 2 ? 'dev' : 'main', labels: { n: String(run) } },
      NOW,
    );
    if (run === 0) {
      repo.writeShard({ runId: id, attempt: 1, shard: 'old', now: NOW }, [result(run, 9, 1, 1)], 'replace');
      repo.newTry(id, NOW);
    }
    for (let shard = 0; shard < 4; shard++) {
      const rows = Array.from({ length: PER_SHARD }, (_, i) => result(run, shard, i, 1));
      repo.writeShard({ runId: id, attempt: 1, shard: `${shard + 1}/4`, now: NOW }, rows, 'replace');
      total += rows.length;
    }
    repo.patchAttempt(id, 1, { threads: 8, decision: { action: 'retry', line: 'RETRY' } }, NOW);
    const reruns = Array.from({ length: PER_SHARD }, (_, i) => i)
      .filter((i) => i % 50 === 0)
      .map((i) => result(run, 0, i, 2));
    repo.writeShard({ runId: id, attempt: 2, shard: 'default', now: NOW }, reruns, 'replace');
  }
  db.close();
  return total;
}

beforeAll(async () => {
  buildReporter();
  expect(seed()).toBe(100_000);
  cluster = await startPostgres();
  url = await cluster.createDatabase();
});
afterAll(async () => {
  await onSqlite?.stop();
  await onPg?.stop();
  cluster?.stop();
  tmp.cleanup();
});

/** `dozhim-reporter migrate ..` to completion; 120 s (runBin's 10 s is too short on a loaded VM). */
const migrate = (args: string[]) => runBin(['migrate', ...args], {}, 120_000);

/** Every read a client can make of the stored runs, as text (JSON bodies and the XML report). */
async function answers(base: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const get = async (path: string) => {
    const r = await call(`${base}${path}`);
    expect(r.status, path).toBe(200);
    out[path] = r.text;
    return r;
  };
  let cursor: string | null = null;
  do {
    const page = await get(`/api/v1/runs?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    cursor = page.body.nextCursor;
  } while (cursor);
  for (let run = 0; run < RUNS; run++) {
    const id = encodeURIComponent(`migrate/run-${run}`);
    await get(`/api/v1/runs/${id}`);
    await get(`/failedTests/${id}`);
    await get(`/api/v1/runs/${id}/decision`);
    await get(`/api/v1/runs/${id}/report.xml`);
    for (const status of ['failed', 'flaky', 'all'])
      await get(`/api/v1/runs/${id}/tests?status=${status}&limit=500`);
    // One attempt's keyset pages, followed to the end for run 0 (the byte-order traps in every page).
    for (const attempt of [1, 2]) {
      let next: string | null = null;
      let pages = 0;
      do {
        const page = await get(
          `/api/v1/runs/${id}/tests?attempt=${attempt}&status=all&limit=1000${next ? `&cursor=${encodeURIComponent(next)}` : ''}`,
        );
        next = run === 0 ? page.body.nextCursor : null;
        pages++;
      } while (next && pages < 100);
    }
  }
  return out;
}

describe('dozhim-reporter migrate', () => {
  it('moves 100,000 results to PostgreSQL with identical answers', async () => {
    const t0 = Date.now();
    const m = await migrate(['--from', `sqlite:${file}`, '--to', url]);
    const ms = Date.now() - t0;
    expect(m.out).toContain('results: ');
    expect(m.code, m.out).toBe(0);
    console.log(`migrate: ${ms} ms for the 100,000-result file\n${m.out}`);

    // The seeded runs are dated 2026-01-01: no retention pass may remove them during the comparison.
    const keep = ['--retention-days', '0'];
    onSqlite = await startReporter(file, {}, keep);
    onPg = await startReporter(url, {}, keep);
    const [fromSqlite, fromPg] = await Promise.all([answers(onSqlite.url), answers(onPg.url)]);
    expect(Object.keys(fromPg).length).toBeGreaterThan(50);
    for (const path of Object.keys(fromSqlite)) expect(fromPg[path], path).toBe(fromSqlite[path]);
    // The reads are not vacuous: the report holds every attempt-1 result of the run.
    const report = fromPg[`/api/v1/runs/${encodeURIComponent('migrate/run-1')}/report.xml`]!;
    expect(report.match(/<testcase /g)?.length).toBe(20_000);

    // The comparison would see a difference: one more upload to the PostgreSQL side only.
    const id = 'migrate/run-1';
    expect(
      (await call(junitUrl(onPg.url, id, 2, 'extra'), xml(junitXml(manyCases(3, () => true))))).status,
    ).toBe(200);
    const again = await call(runPath(onPg.url, id));
    expect(again.text).not.toBe(fromSqlite[`/api/v1/runs/${encodeURIComponent(id)}`]);

    // New rows after the copy get fresh keys (the identity sequences continue after the copied ones).
    expect(
      (
        await call(runPath(onPg.url, 'after-migrate'), {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        })
      ).status,
    ).toBe(201);
  });

  it('refuses a target that already holds runs, and bad arguments', async () => {
    const again = await migrate(['--from', `sqlite:${file}`, '--to', url]);
    expect(again.code).toBe(1);
    expect(again.out).toMatch(/already holds \d+ runs, .*; migrate into an empty one/);
    const usage = await migrate(['--from', `sqlite:${file}`]);
    expect(usage.code).toBe(2);
    expect(usage.out).toMatch(/both --from and --to are required/);
    const notPg = await migrate(['--from', `sqlite:${file}`, '--to', '/tmp/x.sqlite']);
    expect(notPg.code).toBe(2);
  });

  it('a reporter whose PostgreSQL cannot be reached says so in one line, exit 1, without the password', async () => {
    const r = await runBin(['--port', '0', '--db', 'postgres://dozhim:sekret@127.0.0.1:1/nope']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /^dozhim-reporter: cannot use database postgres:\/\/dozhim:\*\*\*@127\.0\.0\.1:1\/nope: /m,
    );
    expect(r.out).not.toContain('sekret');
    expect(r.out.trim().split('\n')).toHaveLength(1);
  });
});
