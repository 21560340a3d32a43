import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, junitUrl, runPath, xml } from '../helpers/http.js';
import { junitXml, manyCases } from '../helpers/junit.js';
import { buildReporter, type Reporter, startReporter, tempDir } from '../helpers/server.js';
import { NO_ROWS, rowsOfRun } from '../helpers/stored-rows.js';

// DELETE /api/v1/runs/:runId on the real bin with a write token. `db` is what startReporter gets:
// a SQLite file here, a postgres:// URL on PostgreSQL.
const TOKEN = 'delete-test-token';
const auth = { authorization: `Bearer ${TOKEN}` };
const tmp = tempDir();
const db = `${tmp.dir}/delete.sqlite`;
let server: Reporter;
let base: string;
beforeAll(async () => {
  buildReporter();
  server = await startReporter(db, { DOZHIM_TOKEN: TOKEN });
  base = server.url;
});
afterAll(async () => {
  expect(await server?.stop()).toBe(0);
  tmp.cleanup();
});

async function upload(runId: string, attempt: number, shard: string, failing: (i: number) => boolean) {
  return call(junitUrl(base, runId, attempt, shard), xml(junitXml(manyCases(50, failing)), auth));
}

/** Two tries (the first moved to history), each with two attempts. */
async function seed(runId: string): Promise<void> {
  for (let t = 0; t < 2; t++) {
    if (t > 0)
      expect((await call(`${runPath(base, runId)}/tries`, { method: 'POST', headers: auth })).status).toBe(
        200,
      );
    expect((await upload(runId, 1, '1/2', (i) => i % 5 === 0)).status).toBe(200);
    expect((await upload(runId, 1, '2/2', () => false)).status).toBe(200);
    expect((await upload(runId, 2, 'default', (i) => i % 10 === 0)).status).toBe(200);
  }
}

const del = (runId: string, headers: Record<string, string> = auth) =>
  call(runPath(base, runId), { method: 'DELETE', headers });

describe('DELETE /api/v1/runs/:runId', () => {
  it('needs the write token: 401 without, 403 with a wrong one, and the run stays whole', async () => {
    await seed('guarded');
    const rows = await rowsOfRun(db, 'guarded');
    const before = (await call(runPath(base, 'guarded'))).body;
    const none = await del('guarded', {});
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await del('guarded', { authorization: 'Bearer not-the-token' })).status).toBe(403);
    expect((await call(runPath(base, 'guarded'))).body).toEqual(before);
    expect(await rowsOfRun(db, 'guarded')).toEqual(rows);
  });

  it('204 removes the run, its history try, attempts, shards and results; other runs unchanged', async () => {
    await seed('doomed');
    await seed('doomed.other'); // shares the prefix: must not be caught
    const other = (await call(runPath(base, 'doomed.other'))).body;
    expect(await rowsOfRun(db, 'doomed')).toMatchObject({ runs: 2, attempts: 4, shards: 6, results: 300 });

    const r = await del('doomed');
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect(await rowsOfRun(db, 'doomed')).toEqual(NO_ROWS);
    for (const path of ['', '/tests', '/decision', '/report.xml']) {
      const read = await call(`${runPath(base, 'doomed')}${path}`);
      expect(read.status, path).toBe(404);
      expect(JSON.parse(read.text).error.code).toBe('run_not_found');
    }
    expect((await call(`${base}/failedTests/doomed`)).status).toBe(404);
    const listed = (await call(`${base}/api/v1/runs?limit=100`)).body.data.map((x: { id: string }) => x.id);
    expect(listed).not.toContain('doomed');
    expect((await call(runPath(base, 'doomed.other'))).body).toEqual(other);
    // A second delete finds nothing.
    expect((await del('doomed')).status).toBe(404);
  });

  it('the id is reusable from attempt 1 afterwards: attempt 2 alone is a gap, the new run holds only new results', async () => {
    await seed('reused');
    expect((await del('reused')).status).toBe(204);
    const gap = await upload('reused', 2, 'default', () => false);
    expect(gap.status).toBe(409);
    expect(gap.body.error.code).toBe('attempt_gap');
    expect((await upload('reused', 1, 'default', (i) => i === 7)).status).toBe(200);
    const run = (await call(runPath(base, 'reused'))).body;
    expect(run.run.try).toBe(1);
    expect(run.attempts.map((a: { attempt: number }) => a.attempt)).toEqual([1]);
    expect(run.current.totals).toMatchObject({ total: 50, failed: 1, passed: 49 });
    expect((await call(`${base}/failedTests/reused`)).body.data).toEqual(['pkg.C7::test_000007']);
    expect(await rowsOfRun(db, 'reused')).toMatchObject({ runs: 1, attempts: 1, shards: 1, results: 50 });
  });

  it('racing uploads: nothing from before the delete survives it, every shard after it is whole', async () => {
    // The old data: attempt 1 with one shard whose tests all fail.
    const old = await call(
      junitUrl(base, 'raced', 1, 'old'),
      xml(junitXml(manyCases(50, () => true, 'old')), auth),
    );
    expect(old.status).toBe(200);
    const news = Array.from({ length: 6 }, (_, i) =>
      call(
        junitUrl(base, 'raced', 1, `new-${i}`),
        xml(junitXml(manyCases(50, (j) => j === i, `new${i}`)), auth),
      ),
    );
    const [deleted, ...uploads] = await Promise.all([del('raced'), ...news]);
    expect(deleted.status).toBe(204);
    expect(uploads.map((u) => u.status)).toEqual(Array(6).fill(200));
    const run = await call(runPath(base, 'raced'));
    if (run.status === 404) return; // every new upload was queued before the delete: all gone, fine
    const shards = run.body.attempts[0].shards as {
      name: string;
      counts: { total: number; failed: number };
    }[];
    expect(shards.map((x) => x.name)).not.toContain('old');
    for (const x of shards) expect(x.counts, x.name).toMatchObject({ total: 50, failed: 1 });
    const failing = (await call(`${base}/failedTests/raced`)).body.data as string[];
    expect(failing.filter((id) => id.includes('old_'))).toEqual([]);
    expect(failing).toHaveLength(shards.length);
    console.log(`delete raced 6 uploads: ${shards.length} of them came after it`);
  });

  it('404 run_not_found for an unknown run, 400 for an invalid id, and a history id is not a run', async () => {
    const unknown = await del('never-was');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('run_not_found');
    expect((await del('bad id!')).status).toBe(400);
    await seed('with-history');
    expect((await del('with-history#try1')).status).toBe(400); // '#' is not in a run id
    expect((await rowsOfRun(db, 'with-history')).runs).toBe(2);
  });

  it('is in the OpenAPI document with the write security', async () => {
    const doc = (await call(`${base}/api/v1/openapi.json`)).body;
    const op = doc.paths['/api/v1/runs/{runId}'].delete;
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['204', '401', '403', '404']));
    expect(op.security).toEqual([{ bearer: [] }]);
  });
});
