import { once } from 'node:events';
import { type IncomingMessage, request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { parseJUnit } from '@dozhim/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, json, junitUrl, type Reply, runPath, xml } from '../helpers/http.js';
import { type Case, junitXml, manyCases } from '../helpers/junit.js';
import { backends } from '../helpers/postgres.js';
import { buildReporter, type Reporter, startReporter } from '../helpers/server.js';

// Drives every endpoint of the real bin over HTTP (127.0.0.1, ephemeral port), once per backend:
// a temp SQLite file, and a fresh database on a real PostgreSQL 15 (same tests, same answers).
let server: Reporter;
let base: string;

const c = (classname: string, name: string, status: Case['status']): Case => ({ classname, name, status });

/** Attempt 1 over two shards: 4 tests, 3 failing; attempt 2 reruns the 3, of which 2 pass. */
async function seedRetriedRun(runId: string): Promise<void> {
  const shard1 = junitXml([c('a.A', 'ok', 'passed'), c('a.A', 'flaky1', 'failed')]);
  const shard2 = junitXml([c('b.B', 'flaky2', 'error'), c('b.B', 'broken', 'failed')]);
  expect((await call(junitUrl(base, runId, 1, '1/2'), xml(shard1))).status).toBe(200);
  expect((await call(junitUrl(base, runId, 1, '2/2'), xml(shard2))).status).toBe(200);
  const rerun = junitXml([
    c('a.A', 'flaky1', 'passed'),
    c('b.B', 'flaky2', 'passed'),
    c('b.B', 'broken', 'failed'),
  ]);
  expect((await call(junitUrl(base, runId, 2), xml(rerun))).status).toBe(200);
}

describe.each(backends())('$name backend', (backend) => {
  beforeAll(async () => {
    buildReporter();
    await backend.setup();
    server = await startReporter(await backend.database('api'), {
      DOZHIM_MAX_BODY: '256kb',
      DOZHIM_MAX_BATCH: '50',
    });
    base = server.url;
  });
  afterAll(async () => {
    expect(await server?.stop()).toBe(0);
    backend.teardown();
  });

  describe('health, docs, metrics', () => {
    it('GET /healthz answers ok', async () => {
      const r = await call(`${base}/healthz`);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ status: 'ok' });
    });

    it('GET /api/v1/openapi.json is an OpenAPI 3 document generated from the zod schemas', async () => {
      const r = await call(`${base}/api/v1/openapi.json`);
      expect(r.status).toBe(200);
      expect(r.body.openapi).toMatch(/^3\./);
      const paths = Object.keys(r.body.paths);
      expect(paths).toEqual(
        expect.arrayContaining([
          '/failedTests/{runId}',
          '/api/v1/runs/{runId}/attempts/{attempt}/junit',
          '/api/v1/runs/{runId}/attempts/{attempt}/results',
          '/api/v1/runs/{runId}/tests',
          '/api/v1/runs/{runId}/decision',
        ]),
      );
      // The status enum comes from the zod schema used for validation, not from hand-written text.
      expect(r.body.components.schemas.TestStatus.enum).toEqual(['passed', 'failed', 'error', 'skipped']);
      expect(r.body.components.schemas.ResultsBody.required).toEqual(['results']);
    });

    it('GET /metrics exposes request counts by route pattern and stored results', async () => {
      await seedRetriedRun('metrics-run');
      const r = await call(`${base}/metrics`);
      expect(r.status).toBe(200);
      expect(r.text).toMatch(
        /dozhim_http_requests_total\{method="POST",route="\/api\/v1\/runs\/:runId\/attempts\/:attempt\/junit",status="200"\} \d+/,
      );
      expect(r.text).toMatch(/dozhim_results_stored_total\{kind="junit"\} \d+/);
      expect(r.text).toContain('dozhim_http_request_duration_seconds_bucket');
      expect(r.text).not.toContain('metrics-run');
    });
  });

  describe('runs', () => {
    it('PUT creates (201) then updates (200) run metadata; run ids with "/" work as %2F', async () => {
      const id = 'jenkins/main@42:1.0_x-y';
      const created = await call(
        runPath(base, id),
        json('PUT', { project: 'shop', branch: 'main', labels: { os: 'linux' } }),
      );
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        id,
        project: 'shop',
        branch: 'main',
        commit: null,
        labels: { os: 'linux' },
      });
      const updated = await call(
        runPath(base, id),
        json('PUT', { commit: 'abc123', ciUrl: 'https://ci/job/42' }),
      );
      expect(updated.status).toBe(200);
      expect(updated.body).toMatchObject({
        id,
        project: 'shop',
        commit: 'abc123',
        ciUrl: 'https://ci/job/42',
      });
      const got = await call(runPath(base, id));
      expect(got.body.run).toEqual(updated.body);
    });

    it('GET /api/v1/runs lists newest first, filters by project/branch, pages with a cursor', async () => {
      for (const i of [1, 2, 3])
        await call(
          runPath(base, `list-${i}`),
          json('PUT', { project: 'listing', branch: i === 2 ? 'dev' : 'main' }),
        );
      const page1 = await call(`${base}/api/v1/runs?project=listing&limit=2`);
      expect(page1.body.data.map((r: { id: string }) => r.id)).toEqual(['list-3', 'list-2']);
      expect(page1.body.nextCursor).toEqual(expect.any(String));
      const page2 = await call(`${base}/api/v1/runs?project=listing&limit=2&cursor=${page1.body.nextCursor}`);
      expect(page2.body).toEqual({ data: [expect.objectContaining({ id: 'list-1' })], nextCursor: null });
      const dev = await call(`${base}/api/v1/runs?project=listing&branch=dev`);
      expect(dev.body.data.map((r: { id: string }) => r.id)).toEqual(['list-2']);
    });

    it('unknown runs are 404 on every read', async () => {
      for (const path of ['', '/tests', '/decision', '/report.xml']) {
        const r = await call(`${runPath(base, 'no-such-run')}${path}`);
        expect(r.status, path).toBe(404);
        expect(r.body.error.code).toBe('run_not_found');
      }
      const legacy = await call(`${base}/failedTests/no-such-run`);
      expect(legacy.status).toBe(404);
    });
  });

  describe('uploads and the current state', () => {
    it('two shards of one attempt merge; re-uploading a shard does not change counts', async () => {
      const id = 'merge-run';
      const s1 = junitXml(manyCases(30, (i) => i % 10 === 0, 's1'));
      const s2 = junitXml(manyCases(20, (i) => i % 5 === 0, 's2'));
      const up1 = await call(junitUrl(base, id, 1, '1/2'), xml(s1));
      expect(up1.body).toEqual({
        runId: id,
        attempt: 1,
        shard: '1/2',
        counts: { total: 30, passed: 27, failed: 3, error: 0, skipped: 0 },
      });
      await call(junitUrl(base, id, 1, '2/2'), xml(s2));
      const before = await call(runPath(base, id));
      expect(before.body.attempts[0].counts).toEqual({
        total: 50,
        passed: 43,
        failed: 7,
        error: 0,
        skipped: 0,
      });
      expect(before.body.attempts[0].shards.map((s: { name: string }) => s.name)).toEqual(['1/2', '2/2']);

      const again = await call(junitUrl(base, id, 1, '2/2'), xml(s2));
      expect(again.status).toBe(200);
      const after = await call(runPath(base, id));
      expect(after.body.attempts[0].counts).toEqual(before.body.attempts[0].counts);
      expect(after.body.current).toEqual(before.body.current);
      expect((await call(`${base}/failedTests/${id}`)).body.data).toHaveLength(7);
    });

    it('a re-uploaded shard replaces its previous content', async () => {
      const id = 'replace-run';
      await call(
        junitUrl(base, id, 1, 'x'),
        xml(junitXml([c('R', 'one', 'failed'), c('R', 'two', 'passed')])),
      );
      await call(junitUrl(base, id, 1, 'x'), xml(junitXml([c('R', 'two', 'failed')])));
      const r = await call(runPath(base, id));
      expect(r.body.attempts[0].counts).toEqual({ total: 1, passed: 0, failed: 1, error: 0, skipped: 0 });
      expect(r.body.current.failing).toEqual(['R::two']);
    });

    it('attempt 2 with only the reruns: passed there = flaky, the rest failing; /failedTests matches', async () => {
      const id = 'retried-run';
      await seedRetriedRun(id);
      const run = await call(runPath(base, id));
      expect(
        run.body.attempts.map((a: { attempt: number; counts: { total: number } }) => [
          a.attempt,
          a.counts.total,
        ]),
      ).toEqual([
        [1, 4],
        [2, 3],
      ]);
      expect(run.body.current).toEqual({
        failing: ['b.B::broken'],
        flaky: ['a.A::flaky1', 'b.B::flaky2'],
        totals: { total: 4, passed: 3, failed: 1, error: 0, skipped: 0, flaky: 2 },
      });
      expect((await call(`${base}/failedTests/${id}`)).body).toEqual({ data: ['b.B::broken'] });

      const flaky = await call(`${runPath(base, id)}/tests?status=flaky`);
      expect(flaky.body.data.map((t: { id: string; attempt: number }) => [t.id, t.attempt])).toEqual([
        ['a.A::flaky1', 2],
        ['b.B::flaky2', 2],
      ]);
      const failed = await call(`${runPath(base, id)}/tests?status=failed`);
      expect(failed.body.data).toEqual([
        expect.objectContaining({
          id: 'b.B::broken',
          status: 'failed',
          attempt: 2,
          shard: 'default',
          message: 'broken failed',
        }),
      ]);
      const firstAttemptFailed = await call(`${runPath(base, id)}/tests?status=failed&attempt=1`);
      expect(firstAttemptFailed.body.data.map((t: { id: string; shard: string }) => [t.id, t.shard])).toEqual(
        [
          ['a.A::flaky1', '1/2'],
          ['b.B::broken', '2/2'],
          ['b.B::flaky2', '2/2'],
        ],
      );
      const passed = await call(`${runPath(base, id)}/tests?status=passed`);
      expect(passed.body.data.map((t: { id: string }) => t.id)).toEqual([
        'a.A::flaky1',
        'a.A::ok',
        'b.B::flaky2',
      ]);
    });

    it('pages /tests with a cursor, covering every test exactly once', async () => {
      const id = 'paged-run';
      await call(junitUrl(base, id, 1), xml(junitXml(manyCases(25))));
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 10; page++) {
        const q: string = cursor === null ? '' : `&cursor=${cursor}`;
        const r = await call(`${runPath(base, id)}/tests?status=all&limit=10${q}`);
        expect(r.status).toBe(200);
        seen.push(...r.body.data.map((t: { id: string }) => t.id));
        cursor = r.body.nextCursor;
        if (cursor === null) break;
      }
      expect(seen).toHaveLength(25);
      expect(new Set(seen).size).toBe(25);
      expect(seen).toEqual([...seen].sort());
      const bad = await call(`${runPath(base, id)}/tests?cursor=bm90LWEtY3Vyc29y`);
      expect(bad.status).toBe(400);
    });

    it('the decision endpoint applies core decide() with the given policy', async () => {
      const id = 'decision-run';
      await call(runPath(base, id), json('PUT', {}));
      expect((await call(`${runPath(base, id)}/decision`)).status).toBe(409);
      await call(`${runPath(base, id)}/attempts/1`, json('PATCH', { threads: 8 }));
      await call(junitUrl(base, id, 1), xml(junitXml(manyCases(20, (i) => i < 3))));
      const retry = await call(`${runPath(base, id)}/decision?maxRuns=3&maxFailed=40`);
      expect(retry.body).toMatchObject({
        action: 'retry',
        nextAttempt: 2,
        nextThreads: 4,
        testsToRerun: expect.any(Array),
      });
      expect(retry.body.testsToRerun).toHaveLength(3);
      const tooMany = await call(`${runPath(base, id)}/decision?maxFailed=10%25`);
      expect(tooMany.body).toMatchObject({
        action: 'terminate',
        reason: 'too-many-failed',
        line: 'TERMINATED - too many failed tests: 3 > 10% (2)',
      });
      const bad = await call(`${runPath(base, id)}/decision?maxFailed=lots`);
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('validation_failed');
    });

    it('PATCH records attempt metadata and the decision; GET shows it', async () => {
      const id = 'patch-run';
      const patch = {
        threads: 4,
        selectedCount: 12,
        startedAt: '2026-01-02T03:04:05Z',
        finishedAt: '2026-01-02T03:14:05.123+00:00',
        exitCode: 1,
        decision: {
          action: 'retry',
          reason: 'retry',
          line: 'RETRY - 3 failed tests, attempt 2/3 with 2 threads',
        },
      };
      const r = await call(`${runPath(base, id)}/attempts/1`, json('PATCH', patch));
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ attempt: 1, shardTotal: null, ...patch });
      const again = await call(`${runPath(base, id)}/attempts/1`, json('PATCH', { exitCode: 0 }));
      expect(again.body).toMatchObject({ threads: 4, exitCode: 0 });
      const run = await call(runPath(base, id));
      expect(run.body.attempts[0]).toMatchObject({ attempt: 1, threads: 4, selectedCount: 12, exitCode: 0 });
      const badTime = await call(
        `${runPath(base, id)}/attempts/1`,
        json('PATCH', { startedAt: 'yesterday' }),
      );
      expect(badTime.status).toBe(400);
    });

    it('JSON results upsert per test id, and the legacy call sees them', async () => {
      const id = 'json-run';
      const url = `${runPath(base, id)}/attempts/1/results?shard=api`;
      const first = await call(
        url,
        json('POST', {
          results: [
            { classname: 'J', name: 'a', status: 'failed', message: 'boom' },
            { id: 'custom-id', name: 'b', status: 'passed' },
          ],
        }),
      );
      expect(first.body).toEqual({
        runId: id,
        attempt: 1,
        shard: 'api',
        counts: { total: 2, passed: 1, failed: 1, error: 0, skipped: 0 },
      });
      const second = await call(
        url,
        json('POST', { results: [{ classname: 'J', name: 'a', status: 'passed' }] }),
      );
      expect(second.body.counts).toEqual({ total: 2, passed: 2, failed: 0, error: 0, skipped: 0 });
      expect((await call(`${base}/failedTests/${id}`)).body).toEqual({ data: [] });
      const empty = await call(
        `${runPath(base, id)}/attempts/1/results?shard=empty`,
        json('POST', { results: [] }),
      );
      expect(empty.body.counts.total).toBe(0);
      const run = await call(runPath(base, id));
      expect(run.body.attempts[0].shards.map((s: { name: string }) => s.name)).toEqual(['api', 'empty']);
    });

    it('an attempt that uploaded an empty report counts: the decision follows it', async () => {
      const id = 'empty-attempt';
      const url = (n: number) => `${runPath(base, id)}/attempts/${n}/results`;
      await call(url(1), json('POST', { results: [{ classname: 'E', name: 'x', status: 'failed' }] }));
      await call(url(2), json('POST', { results: [] }));
      const d = await call(`${runPath(base, id)}/decision`);
      expect(d.body).toMatchObject({ attempt: 2, action: 'terminate', reason: 'no-progress' });
      const only = 'only-empty';
      const xml = await call(`${runPath(base, only)}/attempts/1/junit`, {
        method: 'POST',
        headers: { 'content-type': 'application/xml' },
        body: '<testsuites/>',
      });
      expect(xml.status).toBe(200);
      expect((await call(`${runPath(base, only)}/decision`)).body).toMatchObject({
        attempt: 1,
        line: 'FINISHED',
      });
    });

    it('JSON results keep retry evidence, line and properties: an in-run retry makes the test flaky', async () => {
      const id = 'json-retries';
      const long = 'x'.repeat(70_000);
      const r = await call(
        `${runPath(base, id)}/attempts/1/results`,
        json('POST', {
          results: [
            {
              classname: 'P',
              name: 'retried',
              status: 'passed',
              line: 12,
              properties: { owner: 'qa' },
              retries: [{ kind: 'flakyFailure', message: 'timeout', details: long, durationMs: 5 }],
            },
            { classname: 'P', name: 'plain', status: 'passed' },
          ],
        }),
      );
      expect(r.status).toBe(200);
      expect((await call(runPath(base, id))).body.current.flaky).toEqual(['P::retried']);
      const report = parseJUnit((await call(`${runPath(base, id)}/report.xml`)).text);
      const retried = report.results.find((t) => t.id === 'P::retried')!;
      expect(retried).toMatchObject({ status: 'passed', line: 12, properties: { owner: 'qa' } });
      expect(retried.retries).toHaveLength(1);
      expect(retried.retries[0]).toMatchObject({ kind: 'flakyFailure', message: 'timeout' });
      // Evidence text is capped like the result's own details.
      expect(retried.retries[0]!.details!.length).toBeLessThan(66 * 1024);
      const bad = await call(
        `${runPath(base, id)}/attempts/1/results`,
        json('POST', { results: [{ name: 'x', status: 'passed', retries: [{ kind: 'sometimes' }] }] }),
      );
      expect(bad.status).toBe(400);
    });

    it('serves the merged JUnit report, with the flaky test marked', async () => {
      const id = 'report-run';
      await seedRetriedRun(id);
      const r = await call(`${runPath(base, id)}/report.xml`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/application\/xml/);
      const parsed = parseJUnit(r.text);
      const byId = new Map(parsed.results.map((t) => [t.id, t]));
      expect(byId.get('b.B::broken')?.status).toBe('failed');
      expect(byId.get('a.A::flaky1')?.status).toBe('passed');
      expect(byId.get('a.A::flaky1')?.retries.length).toBeGreaterThan(0);
      expect(r.text).toContain('flakyFailure');
    });

    it('accepts a gzip-encoded body', async () => {
      const id = 'gzip-run';
      const body = gzipSync(junitXml(manyCases(40, (i) => i === 7)));
      const r = await call(
        junitUrl(base, id, 1),
        xml(body, { 'content-encoding': 'gzip', 'content-type': 'text/xml; charset=utf-8' }),
      );
      expect(r.status).toBe(200);
      expect(r.body.counts).toMatchObject({ total: 40, failed: 1 });
      expect((await call(`${base}/failedTests/${id}`)).body.data).toEqual(['pkg.C7::test_000007']);
    });
  });

  describe('byte order of ids (the same on every backend)', () => {
    it('/tests pages, /failedTests and the current failing set sort ids by bytes, not by locale', async () => {
      const id = 'byte-order';
      // A linguistic collation sorts these a < B < b < é < Z; byte order is B < Z < a < b < é < ~.
      const names = ['b', 'B', 'a', 'é', 'Z', '~', 'e', 'É'];
      const results = names.flatMap((n) => [
        { id: `${n}::x`, name: 'x', status: 'failed' },
        { id: `${n}::y`, name: 'y', status: 'passed' },
      ]);
      const up = await call(`${runPath(base, id)}/attempts/1/results?shard=s`, json('POST', { results }));
      expect(up.status).toBe(200);
      const bytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
      const all = results.map((r) => r.id).sort(bytes);
      const failing = all.filter((i) => i.endsWith('::x'));
      expect(all[0]).toBe('B::x');
      const paged: string[] = [];
      let cursor: string | null = null;
      for (let n = 0; n < 20; n++) {
        const page: Reply<{ data: { id: string }[]; nextCursor: string | null }> = await call(
          `${runPath(base, id)}/tests?attempt=1&status=all&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        expect(page.status).toBe(200);
        paged.push(...page.body.data.map((t) => t.id));
        cursor = page.body.nextCursor;
        if (!cursor) break;
      }
      expect(paged).toEqual(all);
      expect((await call(`${base}/failedTests/${id}`)).body.data).toEqual(failing);
      const current = await call(`${runPath(base, id)}/tests?status=failed`);
      expect(current.body.data.map((t: { id: string }) => t.id)).toEqual(failing);
      const run = await call(runPath(base, id));
      expect(run.body.current.failing).toEqual(failing);
      // Shard metadata keeps its field names on every backend.
      expect(run.body.attempts[0].shards[0]).toEqual({
        name: 's',
        uploadedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        counts: { total: 16, passed: 8, failed: 8, error: 0, skipped: 0 },
      });
    });
  });

  describe('tries: a new run of the same id supersedes the old attempts', () => {
    it('POST /tries moves the attempts to history: reads see only the new try, the list shows one run', async () => {
      const id = 'tried-run';
      await seedRetriedRun(id);
      expect((await call(`${base}/failedTests/${id}`)).body.data).toEqual(['b.B::broken']);
      const t = await call(`${runPath(base, id)}/tries`, json('POST', {}));
      expect(t.status).toBe(200);
      expect(t.body).toMatchObject({ run: { id, try: 2 }, superseded: 2 });
      const fresh = await call(runPath(base, id));
      expect(fresh.body.attempts).toEqual([]);
      expect(fresh.body.current.failing).toEqual([]);
      expect((await call(`${base}/failedTests/${id}`)).body.data).toEqual([]);
      expect((await call(`${runPath(base, id)}/decision`)).status).toBe(409);
      // The new try's own results are all that counts: the old failure is not mixed in.
      const up = await call(
        `${junitUrl(base, id, 1, 'default')}&try=2`,
        xml(junitXml([c('b.B', 'broken', 'passed')])),
      );
      expect(up.status).toBe(200);
      const now = await call(runPath(base, id));
      expect(now.body.current).toMatchObject({ failing: [], flaky: [] });
      const report = await call(`${runPath(base, id)}/report.xml`);
      expect(parseJUnit(report.text).results.map((r) => [r.id, r.status])).toEqual([
        ['b.B::broken', 'passed'],
      ]);
      const listed = await call(`${base}/api/v1/runs?limit=200`);
      expect(listed.body.data.filter((r: { id: string }) => r.id.startsWith(id))).toHaveLength(1);
    });

    it('a writer of a superseded try gets 409 try_superseded and changes nothing', async () => {
      const id = 'superseded-writer';
      await call(junitUrl(base, id, 1), xml(junitXml([c('S', 'a', 'failed')])));
      await call(`${runPath(base, id)}/tries`, json('POST', {}));
      const late = await call(
        `${junitUrl(base, id, 1, 'default')}&try=1`,
        xml(junitXml([c('S', 'a', 'passed')])),
      );
      expect(late.status).toBe(409);
      expect(late.body.error.code).toBe('try_superseded');
      const patch = await call(`${runPath(base, id)}/attempts/1?try=1`, json('PATCH', { exitCode: 0 }));
      expect(patch.body.error.code).toBe('try_superseded');
      expect((await call(runPath(base, id))).body.attempts).toEqual([]);
    });

    it('POST /tries on a run without attempts changes nothing (try stays 1)', async () => {
      const id = 'untried-run';
      const t = await call(`${runPath(base, id)}/tries`, json('POST', {}));
      expect(t.body).toMatchObject({ run: { id, try: 1 }, superseded: 0 });
    });

    it('an attempt closes once a later one starts: a late shard gets 409 attempt_closed', async () => {
      const id = 'closed-attempt';
      await call(junitUrl(base, id, 1, '1'), xml(junitXml([c('C', 'a', 'failed')])));
      expect(
        (await call(`${runPath(base, id)}/attempts/1`, json('PATCH', { shardTotal: 2 }))).body.shardTotal,
      ).toBe(2);
      await call(`${runPath(base, id)}/attempts/2`, json('PATCH', { threads: 2 }));
      const late = await call(junitUrl(base, id, 1, '2'), xml(junitXml([c('C', 'b', 'failed')])));
      expect(late.status).toBe(409);
      expect(late.body.error).toMatchObject({ code: 'attempt_closed' });
      const run = await call(runPath(base, id));
      expect(run.body.attempts[0].shards.map((s: { name: string }) => s.name)).toEqual(['1']);
      // The latest attempt stays writable.
      expect((await call(junitUrl(base, id, 2), xml(junitXml([c('C', 'a', 'passed')])))).status).toBe(200);
    });

    it('JSON upload with replace=true replaces the shard (first batch of a re-upload)', async () => {
      const id = 'json-replace';
      const url = `${runPath(base, id)}/attempts/1/results?shard=k`;
      await call(url, json('POST', { results: [{ classname: 'J', name: 'gone', status: 'failed' }] }));
      await call(
        `${url}&replace=true`,
        json('POST', { results: [{ classname: 'J', name: 'b', status: 'passed' }] }),
      );
      const r = await call(runPath(base, id));
      expect(r.body.current.failing).toEqual([]);
      expect(r.body.attempts[0].counts.total).toBe(1);
    });
  });

  describe('bad requests give the documented errors and store nothing', () => {
    const good = junitXml([c('E', 'x', 'failed')]);

    /** The request must fail with `status`/`code` and leave the run unknown. */
    async function rejects(runId: string, url: string, init: RequestInit, status: number, code: string) {
      const r = await call(url, init);
      expect(r.status, r.text).toBe(status);
      expect(r.body.error.code).toBe(code);
      expect(r.body.error.message).toEqual(expect.any(String));
      expect((await call(runPath(base, runId))).status).toBe(404);
      return r;
    }

    it('bad run id → 400', async () => {
      const r = await call(
        `${base}/api/v1/runs/${encodeURIComponent('bad id with spaces')}/attempts/1/junit`,
        xml(good),
      );
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({
        code: 'validation_failed',
        details: [expect.objectContaining({ path: ['runId'] })],
      });
      const long = await call(`${base}/failedTests/${'x'.repeat(201)}`);
      expect(long.status).toBe(400);
    });

    it('bad attempt → 400', async () => {
      for (const attempt of ['0', '-1', '1.5', 'two']) {
        await rejects(
          'bad-attempt',
          junitUrl(base, 'bad-attempt', attempt),
          xml(good),
          400,
          'validation_failed',
        );
      }
    });

    it('a number past 32 bits → 400 on both backends (PostgreSQL stores integer), not a 500', async () => {
      const big = 2 ** 31;
      const url = `${runPath(base, 'big-ints')}/attempts/1`;
      for (const body of [{ threads: big }, { selectedCount: big }, { exitCode: big }]) {
        await rejects('big-ints', url, json('PATCH', body), 400, 'validation_failed');
      }
      const results = { results: [{ classname: 'C', name: 'n', status: 'passed', line: big }] };
      await rejects('big-ints', `${url}/results`, json('POST', results), 400, 'validation_failed');
      // The largest that fits is stored.
      const ok = await call(url, json('PATCH', { threads: big - 1 }));
      expect(ok.status, ok.text).toBe(200);
      expect(ok.body.threads).toBe(big - 1);
    });

    it('an attempt that skips one → 409', async () => {
      await rejects('gap-run', junitUrl(base, 'gap-run', 2), xml(good), 409, 'attempt_gap');
    });

    it('bad XML → 400 naming the problem and its position', async () => {
      const r = await rejects(
        'bad-xml',
        junitUrl(base, 'bad-xml', 1),
        xml('<testsuite>\n  <testcase name="a">\n</testsuite>'),
        400,
        'invalid_junit',
      );
      expect(r.body.error.details).toMatchObject({ code: 'malformed', line: expect.any(Number) });
      const notJunit = await rejects(
        'bad-xml',
        junitUrl(base, 'bad-xml', 1),
        xml('<html><body/></html>'),
        400,
        'invalid_junit',
      );
      expect(notJunit.body.error.details.code).toBe('not-junit');
      await rejects('bad-xml', junitUrl(base, 'bad-xml', 1), xml(''), 400, 'invalid_junit');
    });

    it('wrong content type or encoding → 415', async () => {
      await rejects(
        'bad-type',
        junitUrl(base, 'bad-type', 1),
        xml(good, { 'content-type': 'application/json' }),
        415,
        'unsupported_media_type',
      );
      await rejects(
        'bad-type',
        `${runPath(base, 'bad-type')}/attempts/1/results`,
        xml('{"results":[]}', { 'content-type': 'text/plain' }),
        415,
        'unsupported_media_type',
      );
      await rejects(
        'bad-type',
        junitUrl(base, 'bad-type', 1),
        xml(good, { 'content-encoding': 'br' }),
        415,
        'unsupported_encoding',
      );
    });

    it('oversized bodies → 413, also when they only grow past the limit after gunzip', async () => {
      const big = junitXml(manyCases(4000)); // ~400 kB > the 256 kB limit of this server
      expect(big.length).toBeGreaterThan(256 * 1024);
      await rejects('too-big', junitUrl(base, 'too-big', 1), xml(big), 413, 'body_too_large');
      const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024, ' '));
      expect(bomb.length).toBeLessThan(256 * 1024);
      const r = await rejects(
        'too-big',
        junitUrl(base, 'too-big', 1),
        xml(bomb, { 'content-encoding': 'gzip' }),
        413,
        'body_too_large',
      );
      expect(r.body.error.message).toContain('gunzip');
      await rejects(
        'too-big',
        junitUrl(base, 'too-big', 1),
        xml('not gzip', { 'content-encoding': 'gzip' }),
        400,
        'invalid_gzip',
      );
    });

    it('a declared Content-Length far past the limit is refused without reading the body', async () => {
      const { port } = new URL(base);
      const req = request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/v1/runs/huge-run/attempts/1/junit',
        headers: { 'content-type': 'application/xml', 'content-length': 64 * 1024 * 1024 },
      });
      req.on('error', () => {}); // the server closes the socket after its 413; later writes may fail
      req.write('<testsuites>');
      const [res] = (await once(req, 'response')) as [IncomingMessage];
      let text = '';
      for await (const chunk of res) text += chunk;
      req.destroy();
      expect(res.statusCode).toBe(413);
      expect(res.headers.connection).toBe('close');
      expect(JSON.parse(text).error.code).toBe('body_too_large');
      expect((await call(runPath(base, 'huge-run'))).status).toBe(404);
    });

    it('JSON: invalid JSON, schema violations and too-large batches are rejected', async () => {
      const url = `${runPath(base, 'bad-json')}/attempts/1/results`;
      await rejects(
        'bad-json',
        url,
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"results": [' },
        400,
        'invalid_json',
      );
      const r = await rejects(
        'bad-json',
        url,
        json('POST', { results: [{ name: 'x', status: 'weird' }] }),
        400,
        'validation_failed',
      );
      expect(r.body.error.details[0].path).toEqual(['results', 0, 'status']);
      const batch = Array.from({ length: 51 }, (_, i) => ({ name: `t${i}`, status: 'passed' }));
      await rejects('bad-json', url, json('POST', { results: batch }), 413, 'batch_too_large');
      await rejects(
        'bad-json',
        runPath(base, 'bad-json'),
        json('PUT', { project: 'p', unknownField: 1 }),
        400,
        'validation_failed',
      );
    });

    it('bad percent-encoding in a path → 400, not 500', async () => {
      for (const path of ['/failedTests/%E0%A4%A', '/api/v1/runs/%ZZ']) {
        const r = await call(`${base}${path}`);
        expect(r.status, path).toBe(400);
        expect(r.body.error.code).toBe('bad_request');
      }
    });

    it('unknown routes → 404 JSON', async () => {
      const r = await call(`${base}/api/v2/nothing`, { method: 'DELETE' });
      expect(r.status).toBe(404);
      expect(r.body).toEqual({
        error: { code: 'not_found', message: 'no route for DELETE /api/v2/nothing' },
      });
    });
  });
});
