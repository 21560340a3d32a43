// The README demo's scenario as a test: a suite whose tests fail only under high parallelism (the load
// service answers 503 above 4 requests in flight). Attempt 1 at 8 threads fails some tests; attempt 2
// re-runs only those with 4 threads, and they pass.
import { readJUnitFile } from '@dozhim/core';
import { afterEach, beforeAll, expect, it } from 'vitest';
import {
  attemptJUnit,
  dozhim,
  getJson,
  PYTHON,
  REPO,
  readSummary,
  removeDir,
  requireBuilt,
  requireTool,
  scratchRun,
  startLoadService,
} from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
beforeAll(requireBuilt);
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

it('load-sensitive suite: attempt 1 at 8 threads fails, attempt 2 at 4 threads passes', async () => {
  requireTool('Debian pytest + xdist', PYTHON, ['-c', 'import pytest, xdist']);
  const s = scratchRun('load');
  cleanups.push(() => removeDir(s.root));
  const service = await startLoadService(['--max-in-flight', '4']);
  cleanups.push(() => service.stop());

  const proc = await dozhim(
    [
      'run',
      ...s.args(),
      '--framework',
      'pytest',
      '--threads',
      '8',
      '--',
      PYTHON,
      '-m',
      'pytest',
      'test/suites/load-sensitive',
    ],
    { cwd: REPO, env: { LOAD_SERVICE_URL: service.url }, timeoutMs: 180_000 },
  );
  expect(proc.code, proc.stdout + proc.stderr).toBe(0);
  const summary = readSummary(s.summary);
  expect(summary.attempts.map((a) => a.threads)).toEqual([8, 4]);
  const [first, second] = summary.attempts;
  expect(first!.failed).toBeGreaterThan(0);
  expect(second!.selected).toBe(first!.failed);
  expect(second!.failed).toBe(0);
  expect(summary.flaky).toHaveLength(first!.failed);

  // pytest's own rerun report: only the tests that got 503, all green.
  const rerun = await readJUnitFile(attemptJUnit(s.dozhimState, 2));
  expect(rerun.counts).toMatchObject({ total: first!.failed, passed: first!.failed });
  const stats = await getJson<{ rejected: number; peak: number }>(`${service.url}/stats`);
  expect(stats.rejected).toBe(first!.failed);
  expect(stats.peak).toBeLessThanOrEqual(4);
});
