import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, json, junitUrl, runPath, xml } from '../helpers/http.js';
import { junitXml } from '../helpers/junit.js';
import { buildReporter, type Reporter, startReporter, tempDir } from '../helpers/server.js';

// /failedTests keeps its JSON until the next write by any connection (the parse worker's for JUnit,
// the HTTP thread's for JSON batches, tries): every write must be seen by the very next poll.
const tmp = tempDir();
let server: Reporter;
beforeAll(async () => {
  buildReporter();
  server = await startReporter(`${tmp.dir}/cache.sqlite`);
});
afterAll(async () => {
  await server?.stop();
  tmp.cleanup();
});

const failing = async (run: string) => {
  const r = await call(`${server.url}/failedTests/${run}`);
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toMatch(/^application\/json/);
  return r.body.data;
};

describe('/failedTests answers the state after the last write', () => {
  it('sees JUnit uploads (worker connection), JSON batches (HTTP thread) and a new try at once', async () => {
    const up = (attempt: number, shard: string, failed: string[], passed: string[]) =>
      call(
        junitUrl(server.url, 'fc', attempt, shard),
        xml(
          junitXml([
            ...failed.map((name) => ({ classname: 'C', name, status: 'failed' as const })),
            ...passed.map((name) => ({ classname: 'C', name, status: 'passed' as const })),
          ]),
        ),
      );
    expect((await up(1, 'a', ['x'], ['y'])).status).toBe(200);
    expect(await failing('fc')).toEqual(['C::x']);
    expect(await failing('fc')).toEqual(['C::x']); // the kept answer
    // Same number of failures, another test: a cache keyed on counts would answer the old one.
    expect((await up(1, 'a', ['y'], ['x'])).status).toBe(200);
    expect(await failing('fc')).toEqual(['C::y']);
    // A JSON batch, written on the HTTP thread's own connection.
    const batch = await call(
      `${runPath(server.url, 'fc')}/attempts/1/results?shard=b`,
      json('POST', { results: [{ id: 'C::z', name: 'z', status: 'error' }] }),
    );
    expect(batch.status).toBe(200);
    expect(await failing('fc')).toEqual(['C::y', 'C::z']);
    // A rerun that passes one of them.
    expect((await up(2, 'default', [], ['y'])).status).toBe(200);
    expect(await failing('fc')).toEqual(['C::z']);
    // A new try of the run id starts empty.
    expect((await call(`${runPath(server.url, 'fc')}/tries`, json('POST', {}))).status).toBeLessThan(300);
    expect(await failing('fc')).toEqual([]);
  });

  it('keeps runs apart and still answers 404 for an unknown run', async () => {
    expect(
      (
        await call(
          junitUrl(server.url, 'fc2', 1),
          xml(junitXml([{ classname: 'D', name: 'q', status: 'failed' }])),
        )
      ).status,
    ).toBe(200);
    expect(await failing('fc2')).toEqual(['D::q']);
    expect(await failing('fc')).toEqual([]);
    expect((await call(`${server.url}/failedTests/nope`)).status).toBe(404);
  });
});
