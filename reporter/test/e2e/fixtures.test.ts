import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseJUnit } from '@dozhim/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, junitUrl, runPath, xml } from '../helpers/http.js';
import { buildReporter, type Reporter, startReporter, tempDir } from '../helpers/server.js';

// JUnit files written by the real frameworks (committed by the core-junit work).
const FIXTURES = fileURLToPath(new URL('../../../core/test/fixtures/real', import.meta.url));
const files = existsSync(FIXTURES)
  ? readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.xml'))
      .sort()
  : [];

let server: Reporter;
const tmp = tempDir();
beforeAll(async () => {
  buildReporter();
  server = await startReporter(`${tmp.dir}/fixtures.sqlite`);
});
afterAll(async () => {
  await server?.stop();
  tmp.cleanup();
});

describe('real-framework JUnit fixtures', () => {
  it('are present', () => {
    expect(files.length, `no fixtures in ${FIXTURES}`).toBeGreaterThan(0);
  });

  it.each(files)('%s uploads and reads back with the counts parseJUnit gives', async (file) => {
    const content = readFileSync(join(FIXTURES, file));
    const expected = parseJUnit(content);
    const runId = `fixture-${file.replace(/[^A-Za-z0-9.-]/g, '_')}`;
    const up = await call(junitUrl(server.url, runId, 1, file), xml(content));
    expect(up.status, up.text).toBe(200);
    expect(up.body.counts).toEqual(expected.counts);

    const run = await call(runPath(server.url, runId));
    expect(run.body.attempts[0].counts).toEqual(expected.counts);
    const failing = expected.results
      .filter((r) => r.status === 'failed' || r.status === 'error')
      .map((r) => r.id)
      .sort();
    expect((await call(`${server.url}/failedTests/${runId}`)).body.data).toEqual(failing);

    const all = await call(`${runPath(server.url, runId)}/tests?status=all&limit=10000`);
    const byId = new Map(expected.results.map((r) => [r.id, r]));
    expect(all.body.data).toHaveLength(expected.results.length);
    for (const t of all.body.data) {
      const want = byId.get(t.id)!;
      expect({ status: t.status, name: t.name, classname: t.classname, message: t.message }).toEqual({
        status: want.status,
        name: want.name,
        classname: want.classname,
        message: want.message ?? null,
      });
    }
  });
});
