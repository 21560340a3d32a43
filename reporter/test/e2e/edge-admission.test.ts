import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, junitUrl, runPath, xml } from '../helpers/http.js';
import { junitXml, manyCases } from '../helpers/junit.js';
import { rawUpload, sleep } from '../helpers/raw.js';
import { buildReporter, startReporter, tempDir } from '../helpers/server.js';

// The "Why" of issue 12 against the real bin: slots held by clients that went away, slow bodies,
// one source holding every slot, and the SIGTERM drain.
const tmp = tempDir();
beforeAll(() => buildReporter());
afterAll(() => tmp.cleanup());

const path = (run: string, shard: string) => `/api/v1/runs/${run}/attempts/1/junit?shard=${shard}`;
const small = () => junitXml(manyCases(5, (i) => i === 0));

describe('admission of uploads', () => {
  it('uploads whose clients went away free their slots within 1 s', async () => {
    const server = await startReporter(`${tmp.dir}/abandon.sqlite`, { DOZHIM_MAX_QUEUED_UPLOADS: '4' });
    try {
      const payload = Buffer.from(small());
      // 3 from this address (its share of 4) plus 1 from another: every slot taken, then abandoned.
      const held = [0, 1, 2, 3].map((i) =>
        rawUpload(
          server.url,
          path('abandon', `s${i}`),
          { 'content-type': 'application/xml', 'content-length': payload.length },
          i === 3 ? { localAddress: '127.0.0.2' } : {},
        ),
      );
      for (const h of held) h.req.write(payload.subarray(0, 50));
      await sleep(300);
      const busy = await call(junitUrl(server.url, 'abandon', 1, 'x'), xml(small()));
      expect(busy.status, busy.text).toBe(503);
      expect(busy.body.error.code).toBe('busy');
      for (const h of held) h.req.destroy();
      const gone = Date.now();
      // Poll (bounded) until a real upload is accepted again.
      let status = 0;
      for (let i = 0; i < 40 && status !== 200; i++) {
        status = (await call(junitUrl(server.url, 'abandon', 1, 'real'), xml(small()))).status;
        if (status !== 200) await sleep(25);
      }
      expect(status).toBe(200);
      expect(Date.now() - gone).toBeLessThan(1000);
      // Nothing of the abandoned uploads was stored.
      const run = await call(runPath(server.url, 'abandon'));
      expect(run.body.attempts[0].shards.map((s: { name: string }) => s.name)).toEqual(['real']);
    } finally {
      await server.stop();
    }
  });

  it('an upload whose client left while it waited in the queue is not parsed or stored', async () => {
    const server = await startReporter(`${tmp.dir}/queued.sqlite`);
    try {
      // A big upload keeps the queue busy (parse + insert of 120k tests: over a second), a small one
      // waits behind it.
      const big = Buffer.from(junitXml(manyCases(120_000, (i) => i % 1000 === 0)));
      const firstAt = Date.now();
      const first = rawUpload(server.url, path('queued', 'big'), {
        'content-type': 'application/xml',
        'content-length': big.length,
      });
      first.req.end(big);
      await sleep(300);
      const payload = Buffer.from(small());
      const waiting = rawUpload(server.url, path('queued', 'left'), {
        'content-type': 'application/xml',
        'content-length': payload.length,
      });
      waiting.req.end(payload);
      await sleep(100);
      waiting.req.destroy();
      const leftAt = Date.now();
      const done = await first.outcome;
      expect(done.status, done.body).toBe(200);
      // The big upload was still being stored when the small one's client left (else this test proves nothing).
      expect(firstAt + done.ms).toBeGreaterThan(leftAt);
      const run = await call(runPath(server.url, 'queued'));
      expect(run.body.attempts[0].shards.map((s: { name: string }) => s.name)).toEqual(['big']);
    } finally {
      await server.stop();
    }
  });

  it('a 1 byte/s body is cut within 1 s of the configured request deadline', async () => {
    const server = await startReporter(`${tmp.dir}/slow.sqlite`, { DOZHIM_REQUEST_TIMEOUT_MS: '2000' });
    try {
      const payload = Buffer.from(small());
      const slow = rawUpload(server.url, path('slow', 'a'), {
        'content-type': 'application/xml',
        'content-length': payload.length,
      });
      // Headers and the first byte now, then one byte a second.
      slow.req.write(payload.subarray(0, 1));
      let sent = 1;
      const drip = setInterval(() => {
        if (sent < payload.length && !slow.req.destroyed) slow.req.write(payload.subarray(sent, ++sent));
      }, 1000);
      const outcome = await slow.outcome;
      clearInterval(drip);
      expect(outcome.ms).toBeGreaterThanOrEqual(1900);
      expect(outcome.ms).toBeLessThan(3000);
      if (!outcome.closedWithoutResponse) expect(outcome.status).toBe(408);
      // The slot is free: the next upload is stored.
      expect((await call(junitUrl(server.url, 'slow', 1, 'b'), xml(small()))).status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  it('headers trickled slower than the headers deadline are cut within 1 s of it', async () => {
    const server = await startReporter(`${tmp.dir}/slowhead.sqlite`, {
      DOZHIM_HEADERS_TIMEOUT_MS: '1000',
    });
    try {
      const { createConnection } = await import('node:net');
      const { port } = new URL(server.url);
      const sock = createConnection({ host: '127.0.0.1', port: Number(port) });
      const start = Date.now();
      sock.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      const drip = setInterval(() => sock.writable && sock.write('X-A: b\r\n'), 200);
      let got = '';
      sock.on('data', (d) => {
        got += d;
      });
      await new Promise((r) => sock.once('close', r));
      clearInterval(drip);
      const ms = Date.now() - start;
      expect(ms).toBeGreaterThanOrEqual(900);
      expect(ms).toBeLessThan(2000);
      if (got) expect(got).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      await server.stop();
    }
  });

  it('a client holding its share of the slots does not starve another client', async () => {
    const server = await startReporter(`${tmp.dir}/fair.sqlite`, { DOZHIM_MAX_QUEUED_UPLOADS: '4' });
    try {
      const payload = Buffer.from(small());
      // 127.0.0.1 opens 4 uploads and never finishes them: only 3 are admitted.
      const hog = [0, 1, 2, 3].map((i) =>
        rawUpload(server.url, path('fair', `hog${i}`), {
          'content-type': 'application/xml',
          'content-length': payload.length,
        }),
      );
      for (const h of hog) h.req.write(payload.subarray(0, 50));
      const refused = await hog[3]!.outcome;
      expect(refused.status).toBe(503);
      const body = JSON.parse(refused.body);
      expect(body.error.code).toBe('busy');
      expect(body.error.details).toMatchObject({ rule: 'per_client', perClientLimit: 3, clientInFlight: 3 });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      // Another address gets the remaining slot and is stored while the hog still holds its three.
      const other = rawUpload(
        server.url,
        path('fair', 'other'),
        { 'content-type': 'application/xml', 'content-length': payload.length },
        { localAddress: '127.0.0.2' },
      );
      other.req.end(payload);
      const o = await other.outcome;
      expect(o.status, o.body).toBe(200);
      for (const h of hog.slice(0, 3)) h.req.end(payload.subarray(50));
      expect((await Promise.all(hog.slice(0, 3).map((h) => h.outcome))).map((x) => x.status)).toEqual([
        200, 200, 200,
      ]);
    } finally {
      await server.stop();
    }
  });

  it('the whole-server limit answers busy with how many are ahead and Retry-After', async () => {
    const server = await startReporter(`${tmp.dir}/total.sqlite`, {
      DOZHIM_MAX_QUEUED_UPLOADS: '2',
      DOZHIM_MAX_UPLOADS_PER_CLIENT: '2',
    });
    try {
      const payload = Buffer.from(small());
      const held = [0, 1].map((i) =>
        rawUpload(server.url, path('total', `h${i}`), {
          'content-type': 'application/xml',
          'content-length': payload.length,
        }),
      );
      for (const h of held) h.req.write(payload.subarray(0, 50));
      await sleep(300);
      const busy = await call(junitUrl(server.url, 'total', 1, 'x'), xml(small()));
      expect(busy.status).toBe(503);
      expect(busy.body.error.details).toMatchObject({ rule: 'total', ahead: 2, limit: 2 });
      expect(busy.headers.get('retry-after')).toBe('1');
      for (const h of held) h.req.end(payload.subarray(50));
      expect((await Promise.all(held.map((h) => h.outcome))).map((x) => x.status)).toEqual([200, 200]);
    } finally {
      await server.stop();
    }
  });

  it('SIGTERM: an unfinished upload gets 503 shutting_down before the drain deadline, not a reset', async () => {
    const server = await startReporter(`${tmp.dir}/drain.sqlite`, { DOZHIM_DRAIN_TIMEOUT_MS: '2000' });
    const payload = Buffer.from(small());
    const stuck = rawUpload(server.url, path('drain', 'a'), {
      'content-type': 'application/xml',
      'content-length': payload.length,
    });
    stuck.req.write(payload.subarray(0, 50));
    await sleep(200);
    const exit = server.stop('SIGTERM');
    const o = await stuck.outcome;
    expect(o.closedWithoutResponse).toBe(false);
    expect(o.status).toBe(503);
    expect(JSON.parse(o.body).error.code).toBe('shutting_down');
    expect(o.headers['retry-after']).toBeDefined();
    expect(await exit).toBe(0);
  });
});
