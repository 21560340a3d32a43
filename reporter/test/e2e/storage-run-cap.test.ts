import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, json, junitUrl, runPath, xml } from '../helpers/http.js';
import { junitXml, manyCases } from '../helpers/junit.js';
import { buildReporter, type Reporter, startReporter, tempDir } from '../helpers/server.js';

// Issue 12: results per run are capped (DOZHIM_MAX_RUN_RESULTS, all attempts), counted from the
// stored per-shard counts inside the write's transaction; an upload over it is refused whole.
const CAP = 10;
const tmp = tempDir();
let server: Reporter;
beforeAll(async () => {
  buildReporter();
  server = await startReporter(`${tmp.dir}/cap.sqlite`, { DOZHIM_MAX_RUN_RESULTS: String(CAP) });
});
afterAll(async () => {
  await server?.stop();
  tmp.cleanup();
});

const cases = (n: number, prefix: string, failing: (i: number) => boolean = () => false) =>
  junitXml(manyCases(n, failing, prefix));
const upload = (run: string, attempt: number, shard: string, body: string) =>
  call(junitUrl(server.url, run, attempt, shard), xml(body));
const failing = async (run: string) => (await call(`${server.url}/failedTests/${run}`)).body.data;
const shardTotals = async (run: string) =>
  (await call(runPath(server.url, run))).body.attempts.flatMap(
    (a: { attempt: number; shards: { name: string; counts: { total: number } }[] }) =>
      a.shards.map((s) => `${a.attempt}/${s.name}:${s.counts.total}`),
  );

describe('DOZHIM_MAX_RUN_RESULTS', () => {
  it('refuses the upload that would bring the run over the cap, 413 too_many_results, storing nothing of it', async () => {
    expect(
      (
        await upload(
          'cap',
          1,
          'a',
          cases(6, 'a', (i) => i === 0),
        )
      ).status,
    ).toBe(200);
    const over = await upload(
      'cap',
      1,
      'b',
      cases(5, 'b', () => true),
    );
    expect(over.status).toBe(413);
    expect(over.body.error.code).toBe('too_many_results');
    expect(over.body.error.message).toMatch(/would hold 11 results .*at most 10 are stored per run/);
    expect(over.body.error.details).toMatchObject({ limit: CAP, actual: 11, runId: 'cap' });
    // Nothing of the refused shard: its failures are not in the run, the first shard is intact.
    expect(await failing('cap')).toEqual(['pkg.C0::a_000000']);
    expect(await shardTotals('cap')).toEqual(['1/a:6']);
    // Exactly at the cap is allowed.
    expect(
      (
        await upload(
          'cap',
          1,
          'b',
          cases(4, 'b', () => true),
        )
      ).status,
    ).toBe(200);
    expect((await failing('cap')).length).toBe(5);
  });

  it('a re-upload replaces its shard: counted once, and refused whole when the new content is over', async () => {
    // Run "cap" holds 6 + 4 = 10: replacing shard a with 6 others keeps 10 (not 16).
    expect((await upload('cap', 1, 'a', cases(6, 'a2'))).status).toBe(200);
    expect(await shardTotals('cap')).toEqual(['1/a:6', '1/b:4']);
    const over = await upload('cap', 1, 'a', cases(7, 'a3'));
    expect(over.status).toBe(413);
    expect(over.body.error.details).toMatchObject({ limit: CAP, actual: 11 });
    // The previous content of shard a stands (the refused one replaced nothing).
    expect(await shardTotals('cap')).toEqual(['1/a:6', '1/b:4']);
    expect((await failing('cap')).length).toBe(4);
  });

  it('counts every attempt: a rerun that would pass the cap is refused, the failures stay failing', async () => {
    const before = await failing('cap');
    const rerun = await upload('cap', 2, 'default', cases(1, 'b'));
    expect(rerun.status).toBe(413);
    expect(rerun.body.error.details).toMatchObject({ limit: CAP, actual: 11 });
    // No pass was recorded: the run did not turn green.
    expect(await failing('cap')).toEqual(before);
  });

  it('JSON batches (merge): updating stored ids is fine, a new id past the cap is refused', async () => {
    const batch = (ids: string[], status: string) =>
      json('POST', { results: ids.map((id) => ({ id, name: id, status })) });
    const url = (shard: string) => `${runPath(server.url, 'cap-json')}/attempts/1/results?shard=${shard}`;
    const ids = Array.from({ length: CAP }, (_, i) => `J::t${i}`);
    expect((await call(url('a'), batch(ids.slice(0, 6), 'passed'))).status).toBe(200);
    expect((await call(url('b'), batch(ids.slice(6), 'passed'))).status).toBe(200);
    // The same ids again (updated, now failing): the run still holds 10.
    expect((await call(url('a'), batch(ids.slice(0, 6), 'failed'))).status).toBe(200);
    const over = await call(url('a'), batch(['J::new'], 'passed'));
    expect(over.status).toBe(413);
    expect(over.body.error.code).toBe('too_many_results');
    expect(over.body.error.details).toMatchObject({ limit: CAP, actual: 11 });
    expect(await shardTotals('cap-json')).toEqual(['1/a:6', '1/b:4']);
    expect((await failing('cap-json')).length).toBe(6);
  });

  it('another run is not affected by a full one', async () => {
    expect((await upload('cap-other', 1, 'a', cases(CAP, 'o'))).status).toBe(200);
  });
});
