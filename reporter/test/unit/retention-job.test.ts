import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  cutoffIso,
  MAX_BATCH_RUNS,
  nextBatchSize,
  RetentionJob,
  retentionMetrics,
  retentionPass,
  TARGET_BATCH_MS,
} from '../../src/retention-job.js';

const logger = pino({ level: 'silent' });
const NOW = Date.parse('2026-06-01T00:00:00.000Z');

/** A fake store of `total` expired runs; records every call. */
function fakeStore(total: number, msPerRun = 0) {
  let left = total;
  const calls: { cutoff: string; limit: number }[] = [];
  return {
    calls,
    left: () => left,
    expireRuns: (cutoff: string, limit: number) => {
      calls.push({ cutoff, limit });
      const n = Math.min(left, limit);
      const until = performance.now() + n * msPerRun;
      while (performance.now() < until) {
        /* busy: a synchronous delete holds the thread */
      }
      left -= n;
      return n;
    },
  };
}

describe('cutoffIso', () => {
  it('is retentionDays before now, in UTC ISO 8601', () => {
    expect(cutoffIso(NOW, 90)).toBe('2026-03-03T00:00:00.000Z');
    expect(cutoffIso(NOW, 1)).toBe('2026-05-31T00:00:00.000Z');
  });
});

describe('nextBatchSize', () => {
  it('doubles well under the target, halves over it, stays within [1, MAX_BATCH_RUNS]', () => {
    expect(nextBatchSize(4, TARGET_BATCH_MS / 4)).toBe(8);
    expect(nextBatchSize(4, TARGET_BATCH_MS * 0.75)).toBe(4);
    expect(nextBatchSize(4, TARGET_BATCH_MS * 3)).toBe(2);
    expect(nextBatchSize(1, TARGET_BATCH_MS * 100)).toBe(1);
    expect(nextBatchSize(MAX_BATCH_RUNS, 0)).toBe(MAX_BATCH_RUNS);
  });
});

describe('retentionPass', () => {
  it('batches until a batch removes nothing, with one cutoff for the whole pass', async () => {
    const store = fakeStore(1000);
    let clock = NOW;
    const out = await retentionPass({ expireRuns: store.expireRuns, now: () => clock++, logger }, 90);
    expect(out.removed).toBe(1000);
    expect(store.left()).toBe(0);
    expect(new Set(store.calls.map((c) => c.cutoff))).toEqual(new Set([cutoffIso(NOW, 90)]));
    // Fast batches grow (1, 2, 4, ...), capped; the last one is short.
    expect(store.calls.slice(0, 4).map((c) => c.limit)).toEqual([1, 2, 4, 8]);
    expect(Math.max(...store.calls.map((c) => c.limit))).toBe(MAX_BATCH_RUNS);
    // 1+2+...+256 = 511, then 256, 256 (233 left), and one that finds nothing: 12 calls.
    expect(store.calls).toHaveLength(12);
  });

  it('goes on after a short batch (a store that stops early to bound a batch) until one is empty', async () => {
    const store = fakeStore(20);
    // At most 3 per call whatever the limit, as a store bounding its batches by size would.
    const out = await retentionPass(
      { expireRuns: (c, l) => store.expireRuns(c, Math.min(l, 3)), logger },
      90,
    );
    expect(out.removed).toBe(20);
    expect(store.left()).toBe(0);
  });

  it('with nothing expired makes one call and removes nothing', async () => {
    const store = fakeStore(0);
    const out = await retentionPass({ expireRuns: store.expireRuns, logger }, 90);
    expect(out).toMatchObject({ removed: 0, batches: 1 });
  });

  it('keeps slow batches small: no batch grows past the target once one was over it', async () => {
    // 30 ms per run: one run is under the target, two are over it.
    const store = fakeStore(8, 30);
    const out = await retentionPass({ expireRuns: store.expireRuns, logger }, 90);
    expect(out.removed).toBe(8);
    expect(Math.max(...store.calls.map((c) => c.limit))).toBeLessThanOrEqual(2);
  });

  it('yields to the event loop between batches, so a waiting request is served in between', async () => {
    const store = fakeStore(5, 0);
    const order: string[] = [];
    const expireRuns = (cutoff: string, limit: number) => {
      order.push(`batch ${store.calls.length + 1}`);
      if (store.calls.length === 0) setImmediate(() => order.push('request'));
      return store.expireRuns(cutoff, limit);
    };
    await retentionPass({ expireRuns, logger }, 90);
    expect(order.slice(0, 3)).toEqual(['batch 1', 'request', 'batch 2']);
  });

  it('runs each batch through serialize (the upload queue)', async () => {
    const store = fakeStore(3);
    let serialized = 0;
    await retentionPass(
      {
        expireRuns: store.expireRuns,
        serialize: async (task) => {
          serialized++;
          return task();
        },
        logger,
      },
      90,
    );
    expect(serialized).toBe(store.calls.length);
  });

  it('stops after the current batch when asked', async () => {
    const store = fakeStore(1000);
    const out = await retentionPass(
      { expireRuns: store.expireRuns, logger },
      90,
      () => store.calls.length >= 2,
    );
    expect(store.calls).toHaveLength(2);
    expect(out.removed).toBe(3);
  });

  it('awaits an async store (PostgreSQL) the same way', async () => {
    const store = fakeStore(10);
    const out = await retentionPass(
      { expireRuns: async (c, l) => Promise.resolve(store.expireRuns(c, l)), logger },
      90,
    );
    expect(out.removed).toBe(10);
  });
});

describe('RetentionJob', () => {
  it('runs a first pass soon after start, then every interval; counts in the metrics; stop waits', async () => {
    const store = fakeStore(7);
    const registry = new Registry();
    const job = new RetentionJob(
      { expireRuns: store.expireRuns, logger, metrics: retentionMetrics(registry) },
      { retentionDays: 30, intervalMs: 20 },
    );
    job.start();
    await waitFor(() => store.calls.length >= 6);
    await job.stop();
    const callsAtStop = store.calls.length;
    const text = await registry.metrics();
    expect(text).toMatch(/^dozhim_retention_runs_removed_total 7$/m);
    expect(Number(/^dozhim_retention_passes_total\{outcome="ok"\} (\d+)$/m.exec(text)?.[1])).toBeGreaterThan(
      1,
    );
    expect(text).toMatch(/^dozhim_retention_batch_seconds_count \d+$/m);
    await new Promise((r) => setTimeout(r, 60));
    expect(store.calls.length).toBe(callsAtStop);
  });

  it('logs a failed pass, counts it, and tries again at the next interval', async () => {
    let calls = 0;
    const registry = new Registry();
    const job = new RetentionJob(
      {
        expireRuns: () => {
          calls++;
          if (calls === 1) throw new Error('SQLITE_BUSY');
          return 0;
        },
        logger,
        metrics: retentionMetrics(registry),
      },
      { retentionDays: 30, intervalMs: 10 },
    );
    job.start();
    await waitFor(() => calls >= 2);
    await job.stop();
    const text = await registry.metrics();
    expect(text).toMatch(/^dozhim_retention_passes_total\{outcome="error"\} 1$/m);
    expect(text).toMatch(/^dozhim_retention_passes_total\{outcome="ok"\} [1-9]/m);
  });

  it('with retention days 0 never calls the store', async () => {
    const store = fakeStore(5);
    const job = new RetentionJob(
      { expireRuns: store.expireRuns, logger },
      { retentionDays: 0, intervalMs: 10 },
    );
    job.start();
    await new Promise((r) => setTimeout(r, 60));
    await job.stop();
    expect(store.calls).toHaveLength(0);
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
