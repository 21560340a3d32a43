import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, junitUrl, runPath, xml } from '../helpers/http.js';
import { junitXml, manyCases } from '../helpers/junit.js';
import { sleep } from '../helpers/raw.js';
import { buildReporter, runBin, startReporter, tempDir } from '../helpers/server.js';
import { backdateRun, NO_ROWS, rowsOfRun } from '../helpers/stored-rows.js';

// The retention job of the real bin, on a real database: expired runs go whole (history tries
// included), everything else stays unchanged, and reads keep being answered while it works.
// `database(name)` is what startReporter gets: a SQLite file here, a postgres:// URL on PostgreSQL.
const tmp = tempDir();
const database = (name: string) => `${tmp.dir}/${name}.sqlite`;
beforeAll(() => buildReporter());
afterAll(() => tmp.cleanup());

const DAY = 24 * 3600 * 1000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();

/** Attempt 1 in two shards (300 tests, 10 failing), attempt 2 reruns the 10 (5 pass). */
async function seedRun(base: string, runId: string): Promise<void> {
  const cases = manyCases(300, (i) => i % 30 === 0, runId.replace(/[^a-z0-9]/gi, '_'));
  const half = [cases.slice(0, 150), cases.slice(150)];
  for (const [i, part] of half.entries()) {
    const r = await call(junitUrl(base, runId, 1, `${i + 1}/2`), xml(junitXml(part)));
    expect(r.status, r.text).toBe(200);
  }
  const rerun = cases
    .filter((c) => c.status === 'failed')
    .map((c, i) => ({ ...c, status: i % 2 ? ('passed' as const) : ('failed' as const) }));
  const r = await call(junitUrl(base, runId, 2), xml(junitXml(rerun)));
  expect(r.status, r.text).toBe(200);
}

/** A run's answer without its last-write time (the test moves that into the past). */
// biome-ignore lint/suspicious/noExplicitAny: the run detail as the API answers it
const view = (body: any) => JSON.stringify({ ...body, run: { ...body?.run, updatedAt: undefined } });

const metric = (text: string, name: string): number => {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : Number.NaN;
};

describe('retention job', () => {
  it('removes exactly the runs not written for retention days, whole, while reads keep being answered', async () => {
    const db = database('expire');
    const server = await startReporter(db, { DOZHIM_LOG_LEVEL: 'info' }, [
      '--retention-days',
      '30',
      '--retention-interval',
      '300',
    ]);
    try {
      const base = server.url;
      const expired = Array.from({ length: 24 }, (_, i) => `old-${i}`);
      // Kept: written 29 days ago (inside the 30), fresh, and ids that extend an expired id.
      const kept = ['recent', 'fresh', 'old-1.keep', 'old-10x'];
      for (const id of [...expired, ...kept]) await seedRun(base, id);
      // Every fourth expired run and one kept run have a history try (a retried CI job).
      for (const id of [...expired.filter((_, i) => i % 4 === 0), 'old-1.keep']) {
        expect((await call(`${runPath(base, id)}/tries`, { method: 'POST' })).status).toBe(200);
        await seedRun(base, id);
      }
      const before = new Map<string, unknown>();
      for (const id of [...expired, ...kept]) before.set(id, view((await call(runPath(base, id))).body));
      const keptRows = new Map<string, unknown>();
      for (const id of kept) keptRows.set(id, await rowsOfRun(db, id));
      expect((await rowsOfRun(db, 'old-0')).runs).toBe(2);
      let expiredResults = 0;
      for (const id of expired) expiredResults += (await rowsOfRun(db, id)).results;

      // The read loop starts before the runs expire and ends when the job removed them all.
      let reading = true;
      const errors: string[] = [];
      const latencies: number[] = [];
      const seenGone = new Set<string>();
      const reader = async (paths: () => string[]) => {
        for (let i = 0; reading && i < 100_000; i++) {
          for (const path of paths()) {
            const start = performance.now();
            const r = await call(`${base}${path}`).catch((e: Error) => ({
              status: 0,
              text: e.message,
              body: null,
            }));
            latencies.push(performance.now() - start);
            const id = decodeURIComponent(/\/runs\/([^/]+)$/.exec(path)?.[1] ?? '');
            if (expired.includes(id)) {
              // An expiring run is there whole, or gone, and once gone it stays gone.
              if (r.status === 404 && r.body?.error?.code === 'run_not_found') seenGone.add(id);
              else if (r.status !== 200 || seenGone.has(id)) errors.push(`${path}: ${r.status} ${r.text}`);
              else if (view(r.body) !== before.get(id))
                errors.push(`${path}: a partial run: ${r.text.slice(0, 300)}`);
            } else if (r.status !== 200) errors.push(`${path}: ${r.status} ${r.text}`);
          }
        }
      };
      const loops = [
        reader(() => ['/healthz', '/failedTests/fresh', '/api/v1/runs/recent']),
        reader(() => expired.map((id) => `/api/v1/runs/${encodeURIComponent(id)}`)),
      ];
      await sleep(200);
      await backdateRun(db, 'recent', ago(29));
      for (const id of expired) await backdateRun(db, id, ago(31 + Number(id.split('-')[1])));

      let removed = 0;
      const until = Date.now() + 60_000;
      while (Date.now() < until) {
        removed = metric((await call(`${base}/metrics`)).text, 'dozhim_retention_runs_removed_total');
        if (removed >= expired.length) break;
        await sleep(100);
      }
      await sleep(700); // two more intervals: nothing else may go
      reading = false;
      await Promise.all(loops);

      expect(errors).toEqual([]);
      const metrics = (await call(`${base}/metrics`)).text;
      expect(metric(metrics, 'dozhim_retention_runs_removed_total')).toBe(expired.length);
      const batches = metric(metrics, 'dozhim_retention_batch_seconds_count');
      const worstRead = Math.max(...latencies);
      const longestBatch = Math.max(
        ...[...server.output().matchAll(/"longestBatchMs":([\d.]+)/g)].map((m) => Number(m[1])),
      );
      console.log(
        `retention: ${expired.length} runs (${expiredResults} results) removed in ${batches} batches (metric count, incl. empty ones); longest batch ${longestBatch} ms; ${latencies.length} reads during it, worst ${worstRead.toFixed(1)} ms, p50 ${[...latencies].sort((a, b) => a - b)[latencies.length >> 1]!.toFixed(1)} ms`,
      );
      // Incremental: more than one batch did the work (the first one asks for one run).
      expect(batches).toBeGreaterThan(2);
      // Expected pause: one batch of <= 50 ms (TARGET_BATCH_MS) plus HTTP; bound loosely for a loaded VM.
      expect(worstRead).toBeLessThan(5_000);

      for (const id of expired) {
        const r = await call(runPath(base, id));
        expect(r.status, id).toBe(404);
        expect(r.body.error.code).toBe('run_not_found');
        expect((await call(`${base}/failedTests/${id}`)).status).toBe(404);
        expect(await rowsOfRun(db, id), id).toEqual(NO_ROWS);
      }
      for (const id of kept) {
        expect(view((await call(runPath(base, id))).body), id).toBe(before.get(id));
        expect(await rowsOfRun(db, id), id).toEqual(keptRows.get(id));
      }
      const listed = (await call(`${base}/api/v1/runs?limit=100`)).body.data.map((r: { id: string }) => r.id);
      expect(listed.sort()).toEqual([...kept].sort());
      expect(server.output()).toMatch(/retention: removed \d+ run\(s\) last written before/);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('with --retention-days 0 keeps every run, however old', async () => {
    const db = database('forever');
    const server = await startReporter(db, { DOZHIM_LOG_LEVEL: 'info' }, [
      '--retention-days',
      '0',
      '--retention-interval',
      '100',
    ]);
    try {
      await seedRun(server.url, 'ancient');
      await backdateRun(db, 'ancient', ago(3650));
      await sleep(1_000); // ten intervals
      expect((await call(runPath(server.url, 'ancient'))).status).toBe(200);
      expect((await rowsOfRun(db, 'ancient')).results).toBe(310);
      expect(server.output()).toMatch(/retention: off/);
      expect((await call(`${server.url}/metrics`)).text).not.toMatch(/^dozhim_retention_passes_total\{/m);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('refuses a negative retention or a zero interval at start (exit 2), and reads the variables', async () => {
    const neg = await runBin(['--port', '0', '--db', database('bad'), '--retention-days', '-1']);
    expect(neg.code).toBe(2);
    expect(neg.out).toMatch(/retentionDays \(DOZHIM_RETENTION_DAYS\)/);
    const zero = await runBin(['--port', '0', '--db', database('bad')], {
      DOZHIM_RETENTION_INTERVAL_MS: '0',
    });
    expect(zero.code).toBe(2);
    expect(zero.out).toMatch(/retentionIntervalMs \(DOZHIM_RETENTION_INTERVAL_MS\)/);
    const help = await runBin(['--help']);
    expect(help.out).toMatch(/--retention-days <n>/);
  });
});
