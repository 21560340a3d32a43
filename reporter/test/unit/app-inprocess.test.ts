import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open.js';
import { Repository } from '../../src/db/repository.js';
import { createApp } from '../../src/http/app.js';
import { createMetrics } from '../../src/http/metrics.js';
import { SerialQueue } from '../../src/serial.js';
import { tempDir } from '../helpers/server.js';

// createApp() mounted in-process on a real SQLite file: for the paths a spawned bin cannot reach
// on purpose (the database going away under a running server).
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve() {
  const tmp = tempDir();
  const db = openDatabase(`${tmp.dir}/app.sqlite`);
  const app = createApp({
    repo: new Repository(db),
    logger: pino({ level: 'silent' }),
    metrics: createMetrics(),
    tokens: {},
    limits: { maxBodyBytes: 1024 * 1024, maxBatch: 100, maxQueuedUploads: 4 },
    version: 'test',
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(tmp.cleanup, () => new Promise<void>((r) => server.close(() => r())));
  return { db, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('createApp when the database stops answering', () => {
  it('/healthz says 503 and reads say 500 without leaking internals', async () => {
    const { db, url } = await serve();
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    db.close();
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({
      error: { code: 'db_unavailable', message: 'the database does not answer' },
    });
    const read = await fetch(`${url}/failedTests/some-run`);
    expect(read.status).toBe(500);
    expect(await read.json()).toEqual({ error: { code: 'internal', message: 'internal server error' } });
  });
});

describe('SerialQueue', () => {
  it('runs tasks one at a time in arrival order, and a failure does not stop the queue', async () => {
    const q = new SerialQueue();
    const log: string[] = [];
    const task = (name: string, ms: number, fail = false) =>
      q.run(async () => {
        log.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`end ${name}`);
        if (fail) throw new Error(name);
        return name;
      });
    const results = await Promise.allSettled([task('a', 30), task('b', 1, true), task('c', 5)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });
});
