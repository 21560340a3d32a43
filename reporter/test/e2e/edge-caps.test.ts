import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, json, junitUrl, runPath, xml } from '../helpers/http.js';
import { junitXml, manyCases } from '../helpers/junit.js';
import { buildReporter, type Reporter, startReporter, tempDir } from '../helpers/server.js';

const tmp = tempDir();
let server: Reporter;
beforeAll(async () => {
  buildReporter();
  server = await startReporter(`${tmp.dir}/caps.sqlite`, {
    DOZHIM_MAX_TESTCASES: '100',
    DOZHIM_MAX_PROPERTIES: '20',
  });
});
afterAll(async () => {
  await server?.stop();
  tmp.cleanup();
});

const withProps = (n: number) =>
  `<?xml version="1.0"?><testsuite name="s" tests="1"><properties>${Array.from(
    { length: n },
    (_, i) => `<property name="p${i}" value="v${i}"/>`,
  ).join('')}</properties><testcase classname="C" name="t"/></testsuite>`;

describe('caps on what one upload may store', () => {
  it('a 10 MB testcase name is refused with 400 field_too_large, and nothing of the file is stored', async () => {
    const huge = 'n'.repeat(10 * 1024 * 1024);
    const body = junitXml([
      { classname: 'C', name: 'fine', status: 'failed' },
      { classname: 'C', name: huge, status: 'passed' },
    ]);
    const r = await call(junitUrl(server.url, 'huge-name', 1), xml(body));
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('field_too_large');
    expect(r.body.error.message).toMatch(/name is \d+ bytes, more than the limit of 65536/);
    expect(r.body.error.details).toMatchObject({ field: 'name', limit: 65536 });
    expect(r.text.length).toBeLessThan(10_000);
    // Refused as a whole: the failing "fine" test is not stored either (no partial, falsely small run).
    expect((await call(`${server.url}/failedTests/huge-name`)).status).toBe(404);
  });

  it('names are counted in UTF-8 bytes: 65,000 bytes of é are stored, 65,538 are refused', async () => {
    const r1 = await call(
      junitUrl(server.url, 'edge-name', 1),
      xml(junitXml([{ classname: 'C', name: 'é'.repeat(32_500), status: 'failed' }])),
    );
    expect(r1.status, r1.text.slice(0, 300)).toBe(200);
    expect((await call(`${server.url}/failedTests/edge-name`)).body.data).toHaveLength(1);
    const r2 = await call(
      junitUrl(server.url, 'edge-name', 1, 'b'),
      xml(junitXml([{ classname: 'C', name: 'é'.repeat(32_769), status: 'failed' }])),
    );
    expect(r2.status).toBe(400);
    expect(r2.body.error.details).toMatchObject({ field: 'name', bytes: 65_538 });
    // A huge classname is refused the same way, and named.
    const r3 = await call(
      junitUrl(server.url, 'edge-name', 1, 'c'),
      xml(junitXml([{ classname: 'c'.repeat(70_000), name: 't', status: 'passed' }])),
    );
    expect(r3.status).toBe(400);
    expect(r3.body.error.details.field).toBe('classname');
  });

  it('more testcases than DOZHIM_MAX_TESTCASES → 413 too_many_testcases; exactly the cap is stored', async () => {
    const over = await call(junitUrl(server.url, 'many', 1), xml(junitXml(manyCases(101))));
    expect(over.status).toBe(413);
    expect(over.body.error).toMatchObject({ code: 'too_many_testcases', details: { limit: 100, got: 101 } });
    const at = await call(junitUrl(server.url, 'many', 1), xml(junitXml(manyCases(100, (i) => i < 3))));
    expect(at.status).toBe(200);
    expect(at.body.counts.total).toBe(100);
    // The JSON API has the same cap per upload (after its own --max-batch).
    const results = Array.from({ length: 101 }, (_, i) => ({ name: `t${i}`, status: 'passed' }));
    const j = await call(
      `${runPath(server.url, 'many')}/attempts/1/results?shard=j`,
      json('POST', { results }),
    );
    expect(j.status).toBe(413);
    expect(j.body.error.code).toBe('too_many_testcases');
  });

  it('more properties on a testcase than DOZHIM_MAX_PROPERTIES → 413 too_many_properties', async () => {
    const over = await call(junitUrl(server.url, 'props', 1), xml(withProps(21)));
    expect(over.status).toBe(413);
    expect(over.body.error).toMatchObject({
      code: 'too_many_properties',
      details: { limit: 20, properties: 21 },
    });
    const at = await call(junitUrl(server.url, 'props', 1), xml(withProps(20)));
    expect(at.status, at.text).toBe(200);
  });

  it('message/details stay truncated (kept): a 1 MB failure message is stored cut, not refused', async () => {
    const body = junitXml([
      { classname: 'C', name: 't', status: 'failed', message: 'm'.repeat(1024 * 1024) },
    ]);
    const r = await call(junitUrl(server.url, 'long-msg', 1), xml(body));
    expect(r.status).toBe(200);
    const tests = await call(`${runPath(server.url, 'long-msg')}/tests?status=failed`);
    expect(tests.body.data[0].message.length).toBeLessThan(9 * 1024);
    expect(tests.body.data[0].message).toMatch(/…\[dozhim: \d+ characters truncated\]…\nm+$/);
  });
});
