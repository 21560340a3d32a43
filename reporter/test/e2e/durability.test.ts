import { once } from 'node:events';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, junitUrl, runPath, xml } from '../helpers/http.js';
import { junitXml, manyCases } from '../helpers/junit.js';
import { buildReporter, startReporter, tempDir } from '../helpers/server.js';

const tmp = tempDir();
beforeAll(() => buildReporter());
afterAll(() => tmp.cleanup());

describe('durability and concurrency', () => {
  it('an upload acknowledged with 2xx survives SIGKILL right after it', async () => {
    const db = `${tmp.dir}/kill.sqlite`;
    const first = await startReporter(db);
    const up = await call(
      junitUrl(first.url, 'kill-run', 1),
      xml(junitXml(manyCases(500, (i) => i % 50 === 0))),
    );
    expect(up.status).toBe(200);
    expect(await first.stop('SIGKILL')).toBe('SIGKILL');

    const second = await startReporter(db);
    try {
      const run = await call(runPath(second.url, 'kill-run'));
      expect(run.body.attempts[0].counts).toEqual({
        total: 500,
        passed: 490,
        failed: 10,
        error: 0,
        skipped: 0,
      });
      expect((await call(`${second.url}/failedTests/kill-run`)).body.data).toHaveLength(10);
    } finally {
      await second.stop();
    }
  });

  it('20 concurrent uploads of different shards to one attempt are all counted once', async () => {
    const server = await startReporter(`${tmp.dir}/concurrent.sqlite`);
    try {
      const shards = Array.from({ length: 20 }, (_, s) =>
        junitXml(manyCases(100, (i) => i % 10 === s % 10, `shard${s}`)),
      );
      // Upload all 20, then all 20 again at once (re-uploads replace, never add).
      const upload = () =>
        Promise.all(shards.map((x, s) => call(junitUrl(server.url, 'conc-run', 1, `${s + 1}/20`), xml(x))));
      const replies = [...(await upload()), ...(await upload())];
      expect(replies.map((r) => r.status)).toEqual(Array(40).fill(200));
      const run = await call(runPath(server.url, 'conc-run'));
      expect(run.body.attempts).toHaveLength(1);
      expect(run.body.attempts[0].shards).toHaveLength(20);
      expect(run.body.attempts[0].counts).toEqual({
        total: 2000,
        passed: 1800,
        failed: 200,
        error: 0,
        skipped: 0,
      });
      expect((await call(`${server.url}/failedTests/conc-run`)).body.data).toHaveLength(200);
    } finally {
      await server.stop();
    }
  });

  it('SIGTERM finishes the in-flight request, then exits 0 and refuses new connections', async () => {
    const server = await startReporter(`${tmp.dir}/term.sqlite`);
    const { port } = new URL(server.url);
    const payload = Buffer.from(junitXml(manyCases(200, (i) => i < 5)));
    // Start an upload, send half its body, signal, then send the rest: it must still be stored.
    const req = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/api/v1/runs/term-run/attempts/1/junit',
      headers: { 'content-type': 'application/xml', 'content-length': payload.length },
    });
    req.write(payload.subarray(0, 1000));
    await new Promise((r) => setTimeout(r, 200));
    const exit = server.stop('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    req.end(payload.subarray(1000));
    const [res] = (await once(req, 'response')) as [import('node:http').IncomingMessage];
    let text = '';
    for await (const chunk of res) text += chunk;
    expect(res.statusCode, text).toBe(200);
    expect(JSON.parse(text).counts.total).toBe(200);
    expect(await exit).toBe(0);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();

    const again = await startReporter(`${tmp.dir}/term.sqlite`);
    try {
      expect((await call(`${again.url}/failedTests/term-run`)).body.data).toHaveLength(5);
    } finally {
      await again.stop();
    }
  });

  it('uploads beyond DOZHIM_MAX_QUEUED_UPLOADS get 503 busy (bounded memory); the held one still lands', async () => {
    const server = await startReporter(`${tmp.dir}/busy.sqlite`, { DOZHIM_MAX_QUEUED_UPLOADS: '1' });
    try {
      const { port } = new URL(server.url);
      const payload = Buffer.from(junitXml(manyCases(50, () => false)));
      // The first upload holds the only place while its body is still arriving.
      const held = request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/v1/runs/busy-run/attempts/1/junit?shard=a',
        headers: { 'content-type': 'application/xml', 'content-length': payload.length },
      });
      held.write(payload.subarray(0, 100));
      await new Promise((r) => setTimeout(r, 300));
      const busy = await call(
        junitUrl(server.url, 'busy-run', 1, 'b'),
        xml(junitXml(manyCases(5, () => false))),
      );
      expect(busy.status).toBe(503);
      expect(busy.body.error.code).toBe('busy');
      expect(busy.headers.get('retry-after')).toBe('1');
      held.end(payload.subarray(100));
      const [res] = (await once(held, 'response')) as [import('node:http').IncomingMessage];
      res.resume();
      expect(res.statusCode).toBe(200);
      // The place is free again.
      const after = await call(
        junitUrl(server.url, 'busy-run', 1, 'b'),
        xml(junitXml(manyCases(5, () => false))),
      );
      expect(after.status).toBe(200);
      expect(
        (await call(runPath(server.url, 'busy-run'))).body.attempts[0].shards.map(
          (x: { name: string }) => x.name,
        ),
      ).toEqual(['a', 'b']);
    } finally {
      await server.stop();
    }
  });
});
