import { Worker } from 'node:worker_threads';
import type { TestResult } from '@dozhim/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open.js';
import { Repository } from '../../src/db/repository.js';
import { runPath } from '../helpers/http.js';
import { buildReporter, type Reporter, startReporter, tempDir } from '../helpers/server.js';
import { replaceShard } from '../helpers/shards.js';

// Issue 12: no read that grows with run size runs unbounded on the HTTP thread. A 200,000-result run
// is seeded with the repository (fast, no HTTP), then three clients read its summary and its merged
// report while a separate thread probes /healthz.
const TESTS = 200_000;
const SHARDS = 4;
const failing = (i: number) => i % 97 === 0;
const RUN = 'big-run';

let tmp: ReturnType<typeof tempDir>;
let reporter: Reporter;

beforeAll(async () => {
  buildReporter();
  tmp = tempDir();
  const db = openDatabase(`${tmp.dir}/big.sqlite`);
  const repo = new Repository(db);
  const props = { 'java.version': '21', 'os.name': 'Linux' };
  const per = TESTS / SHARDS;
  for (let s = 0; s < SHARDS; s++) {
    const results: TestResult[] = Array.from({ length: per }, (_, k) => {
      const i = s * per + k;
      const classname = `pkg.module${i % 50}.Class${i % 500}Test`;
      const name = `test_${String(i).padStart(6, '0')}`;
      return {
        id: `${classname}::${name}`,
        suite: classname,
        classname,
        name,
        status: failing(i) ? 'failed' : 'passed',
        durationMs: 3,
        properties: props,
        retries: [],
        ...(failing(i) ? { message: 'expected 1 to be 2', details: 'at pkg.Class.test(Class.java:1)' } : {}),
      };
    });
    replaceShard(repo, RUN, 1, `${s + 1}/${SHARDS}`, results, new Date().toISOString());
  }
  db.close();
  reporter = await startReporter(`${tmp.dir}/big.sqlite`);
}, 300_000);

afterAll(async () => {
  await reporter?.stop();
  tmp?.cleanup();
});

/** Probes /healthz from its own thread (its own event loop), so the readers here cannot delay it. */
function probeHealth(url: string): { stop: () => Promise<number[]> } {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     let running = true;
     const times = [];
     parentPort.on('message', () => { running = false; });
     (async () => {
       while (running) {
         const t0 = performance.now();
         const res = await fetch(workerData.url);
         await res.text();
         if (res.status !== 200) throw new Error('healthz ' + res.status);
         times.push(performance.now() - t0);
         await new Promise((r) => setTimeout(r, 10));
       }
       parentPort.postMessage(times);
     })().catch((e) => parentPort.postMessage(String(e)));`,
    { eval: true, workerData: { url: `${url}/healthz` } },
  );
  const done = new Promise<number[]>((resolve, reject) =>
    worker.once('message', (m: number[] | string) =>
      typeof m === 'string' ? reject(new Error(m)) : resolve(m),
    ),
  );
  return {
    stop: async () => {
      worker.postMessage('stop');
      const times = await done;
      await worker.terminate();
      return times;
    },
  };
}

/** Reads a body to its end without keeping it: its size and its last bytes. */
async function drain(url: string): Promise<{ status: number; bytes: number; tail: string; head: string }> {
  const res = await fetch(url);
  let bytes = 0;
  let head = '';
  let tail = '';
  const decoder = new TextDecoder();
  for await (const chunk of res.body!) {
    bytes += chunk.length;
    const text = decoder.decode(chunk, { stream: true });
    if (head.length < 200) head += text.slice(0, 200);
    tail = (tail + text).slice(-200);
  }
  return { status: res.status, bytes, tail, head };
}

const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

describe('reads of a 200,000-result run', () => {
  it('/healthz p99 stays under 50 ms while three clients read /api/v1/runs/:id and report.xml', async () => {
    // The machine's own scheduling noise (2 shared cores), measured the same way just before: on a
    // loaded machine an idle server's p99 is already tens of ms, and that is not this server's doing.
    const idleProbe = probeHealth(reporter.url);
    await new Promise((r) => setTimeout(r, 3000));
    const idle = await idleProbe.stop();
    const probe = probeHealth(reporter.url);
    const base = runPath(reporter.url, RUN);
    const client = async () => {
      const summary = await fetch(base);
      const body = (await summary.json()) as {
        current: { failing: string[]; totals: { total: number; failed: number } };
      };
      const report = await drain(`${base}/report.xml`);
      return { status: summary.status, body, report };
    };
    const answers = await Promise.all([client(), client(), client()]);
    const times = await probe.stop();

    const expectedFailing = Array.from({ length: TESTS }, (_, i) => i).filter(failing).length;
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(a.body.current.totals.total).toBe(TESTS);
      expect(a.body.current.failing).toHaveLength(expectedFailing);
      expect(a.body.current.totals.failed).toBe(expectedFailing);
      // The whole report arrived: its root closes, and it counts every test and failure.
      expect(a.report.status).toBe(200);
      expect(a.report.tail).toMatch(/<\/testsuites>\n$/);
      expect(a.report.head).toMatch(new RegExp(`tests="${TESTS}" failures="${expectedFailing}"`));
    }
    expect(new Set(answers.map((a) => a.report.bytes)).size).toBe(1);
    // Enough probes to make a p99 mean something (the reads take seconds).
    expect(times.length).toBeGreaterThanOrEqual(50);
    const p99 = percentile(times, 99);
    const idleP99 = percentile(idle, 99);
    console.log(
      `healthz idle: n=${idle.length} p99=${idleP99.toFixed(1)} ms; during large reads: n=${times.length} p50=${percentile(times, 50).toFixed(1)} ms p99=${p99.toFixed(1)} ms max=${Math.max(...times).toFixed(1)} ms; report ${answers[0]!.report.bytes} bytes`,
    );
    // Under 50 ms on top of the idle p99 of the same run, with the idle figure doubled for a machine
    // whose load changes during the run: a read on the HTTP thread would add seconds, not milliseconds.
    expect(p99).toBeLessThan(50 + 2 * idleP99);
  }, 480_000);
});
