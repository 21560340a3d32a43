import type { TestResult } from '@dozhim/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgStorage } from '../../src/storage/pg-storage.js';
import { call } from '../helpers/http.js';
import { type PgCluster, startPostgres } from '../helpers/postgres.js';
import { buildReporter, type Reporter, startReporter } from '../helpers/server.js';

// The reads that grow with a run run in the PostgreSQL read worker: while two clients pull the
// merged report of a 100,000-result run (load + runState fold + XML, seconds of CPU), the HTTP
// thread keeps answering /healthz. Folded on the HTTP thread, a /healthz arriving during a fold
// would wait for all of it.

let cluster: PgCluster;
let server: Reporter;
const PER_SHARD = 25_000;

beforeAll(async () => {
  buildReporter();
  cluster = await startPostgres();
  const url = await cluster.createDatabase();
  const store = await PgStorage.open(url);
  const now = new Date().toISOString();
  for (let s = 0; s < 4; s++) {
    const results: TestResult[] = Array.from({ length: PER_SHARD }, (_, i) => ({
      id: `pkg.C${s}::t_${i}`,
      suite: 'suite',
      classname: `pkg.C${s}`,
      name: `t_${i}`,
      status: i % 100 === 0 ? 'failed' : 'passed',
      durationMs: 1,
      ...(i % 100 === 0 ? { message: 'boom', details: 'stack '.repeat(20) } : {}),
      properties: {},
      retries: [],
    }));
    await store.writeResults({ runId: 'big', attempt: 1, shard: `${s + 1}/4`, results, now, replace: true });
  }
  await store.close();
  server = await startReporter(url, {}, ['--retention-days', '0']);
});
afterAll(async () => {
  await server?.stop();
  cluster?.stop();
});

describe('PostgreSQL read worker', () => {
  it('/healthz stays answered while two clients pull the report of a 100,000-result run', async () => {
    let reading = true;
    const health: number[] = [];
    const healthLoop = (async () => {
      for (let i = 0; i < 5000 && reading; i++) {
        const t = performance.now();
        const r = await call(`${server.url}/healthz`);
        health.push(performance.now() - t);
        expect(r.status).toBe(200);
        await new Promise((res) => setTimeout(res, 5));
      }
    })();
    const reports = await Promise.all(
      [0, 1].map(async () => {
        const t = performance.now();
        const r = await call(`${server.url}/api/v1/runs/big/report.xml`);
        return { status: r.status, ms: performance.now() - t, cases: r.text.match(/<testcase /g)?.length };
      }),
    );
    reading = false;
    await healthLoop;
    for (const r of reports) {
      expect(r.status).toBe(200);
      expect(r.cases).toBe(4 * PER_SHARD);
    }
    const shortest = Math.min(...reports.map((r) => r.ms));
    const worst = Math.max(...health);
    console.log(
      `pg read worker: reports took ${reports.map((r) => r.ms.toFixed(0)).join(', ')} ms; ${health.length} /healthz meanwhile, worst ${worst.toFixed(1)} ms`,
    );
    // Many health answers while the reports were computed, none held for the length of a fold.
    expect(health.length).toBeGreaterThan(10);
    expect(worst).toBeLessThan(shortest / 2);
  });
});
