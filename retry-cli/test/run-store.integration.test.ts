import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestResult } from '@dozhim/core';
import type { AxiosRequestConfig, CreateAxiosDefaults } from 'axios';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuilt, type Service, startReporter } from '../../test/e2e/helpers.js';
import { LocalState } from '../src/store/local-state.js';
import { ReporterClient } from '../src/store/reporter-client.js';
import { RunStore } from '../src/store/run-store.js';

// RunStore.loadAttempts against the REAL reporter (SQLite file): its counts.total is what the
// client checks the pages against (one per test id, shards and pages included), and a run that
// changes between the run detail and the pages (a new try, a delete) reads as it is now, never
// as an attempt 1 emptied by the race.

let reporter: Service;
beforeAll(async () => {
  requireBuilt();
  reporter = await startReporter(join(await mkdtemp(join(tmpdir(), 'dozhim-store-rep-')), 'r.db'));
  return () => reporter.stop();
});

/** A real client; `beforePages` runs once, just before the first page of an attempt is asked. */
function realClient(beforePages?: () => Promise<void>): ReporterClient {
  let pending = beforePages;
  return new ReporterClient({
    baseUrl: reporter.url,
    budgetMs: 10_000,
    http: async (config: CreateAxiosDefaults) => {
      const ax = (await import('axios')).default.create(config);
      const request = ax.request.bind(ax);
      ax.request = (async (c: AxiosRequestConfig) => {
        if (pending && c.url?.endsWith('/tests')) {
          const hook = pending;
          pending = undefined;
          await hook();
        }
        return request(c);
      }) as typeof ax.request;
      return ax;
    },
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    now: () => Date.now(),
  });
}

const result = (id: string, status: TestResult['status']): TestResult => ({
  id,
  suite: 's',
  classname: 'c',
  name: id,
  status,
  durationMs: 1,
  properties: {},
  retries: [],
});

async function queryStore(client: ReporterClient): Promise<RunStore> {
  return new RunStore(
    new LocalState(await mkdtemp(join(tmpdir(), 'dozhim-store-'))),
    client,
    () => {},
    false,
  );
}

/** Attempt 1 of `runId` in two shards: `n` tests each, plus one id in both (failing in one). */
async function uploadSharded(runId: string, n: number): Promise<void> {
  const c = realClient();
  await c.putRun(runId, {});
  const shard = (k: number) => Array.from({ length: n }, (_, i) => result(`t${k}-${i}`, 'passed'));
  await c.uploadResults(runId, 1, '1/2', [...shard(1), result('both', 'failed')]);
  await c.uploadResults(runId, 1, '2/2', [...shard(2), result('both', 'passed')]);
}

describe('RunStore.loadAttempts against the real reporter', () => {
  it("checks the pages against the reporter's counts.total: shards and several pages fit", async () => {
    // 2 x 1200 + 2 rows: three pages of 1000; the id in both shards is two rows, one test.
    await uploadSharded('fit', 1200);
    const detail = await realClient().getRun('fit');
    expect(detail!.attempts[0]!.counts.total).toBe(2401);
    const [a1, ...rest] = await (await queryStore(realClient())).loadAttempts('fit');
    expect(rest).toEqual([]);
    expect(a1!.results).toHaveLength(2402);
    expect(a1!.results.filter((r) => r.id === 'both').map((r) => r.status)).toEqual(['failed', 'passed']);
  });

  it('a new try between the run detail and the pages: read again, the run has no attempt (not "all green")', async () => {
    await uploadSharded('retried', 3);
    const s = await queryStore(realClient(async () => void (await realClient().newTry('retried'))));
    expect(await s.loadAttempts('retried')).toEqual([]);
  });

  it('a delete between the run detail and the pages: read again, the run is unknown', async () => {
    await uploadSharded('deleted', 3);
    const del = async () => {
      const res = await fetch(`${reporter.url}/api/v1/runs/deleted`, { method: 'DELETE' });
      expect(res.status).toBe(204);
    };
    const s = await queryStore(realClient(del));
    expect(await s.loadAttempts('deleted')).toEqual([]);
    expect(await realClient().getRun('deleted')).toBeUndefined();
  });
});
