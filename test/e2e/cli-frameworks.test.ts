// `dozhim run` on the real sample suites: the flaky tests (including the hostile-named one) fail the
// first time, are re-run alone with half the threads, and the run ends flaky with exit 0 (6 with
// --fail-on-flaky). "Alone" is checked from the framework's own rerun report and from ran.log.
import { readJUnitFile, type TestResult } from '@dozhim/core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  attemptJUnit,
  dozhim,
  flakyMarkers,
  ranLog,
  readSummary,
  removeDir,
  requireBuilt,
  requireTools,
  sampleSuite,
  scratchRun,
} from './helpers.js';

const FRAMEWORKS = ['pytest', 'jest', 'vitest', 'mocha', 'go', 'playwright'] as const;
type Framework = (typeof FRAMEWORKS)[number];

const dirs: string[] = [];
beforeAll(requireBuilt);
afterEach(() => {
  for (const d of dirs.splice(0)) removeDir(d);
});

async function runFlaky(framework: Framework, extra: string[] = []) {
  const s = scratchRun(`${framework}`);
  dirs.push(s.root);
  const suite = sampleSuite(framework, s.root);
  requireTools(suite.tools);
  // No placeholders: report, thread (pytest: xdist `-n`) and selection flags all come from the preset.
  const proc = await dozhim(
    ['run', '--framework', framework, '--threads', '2', ...s.args(), ...extra, '--', ...suite.argv],
    { cwd: suite.dir, env: { ...suite.env, SAMPLE_STATE_DIR: s.sampleState }, timeoutMs: 180_000 },
  );
  return { s, proc, out: `${proc.stdout}\n${proc.stderr}` };
}

const nonSkipped = (results: TestResult[]): string[] =>
  results
    .filter((r) => r.status !== 'skipped')
    .map((r) => r.id)
    .sort();

const executionCounts = (lines: string[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const l of lines) counts[l] = (counts[l] ?? 0) + 1;
  return counts;
};
const expectedCounts = (lines: string[], flaky: string[]): Record<string, number> =>
  Object.fromEntries([...new Set(lines)].map((k) => [k, flaky.includes(k) ? 2 : 1]));

describe.each(FRAMEWORKS)('dozhim run --framework %s', (framework) => {
  it('re-runs only the flaky tests, with fewer threads, and ends flaky with exit 0', async () => {
    const { s, proc, out } = await runFlaky(framework);
    expect(proc.code, out).toBe(0);
    const summary = readSummary(s.summary);
    expect(summary.attempts.map((a) => a.threads)).toEqual([2, 1]);
    expect(summary.outcome).toBe('flaky');

    // Read as dozhim reads them: file paths relative to the suite (mocha writes absolute ones), and
    // without go's parents whose only failure is a failing subtest (dozhim drops those: the subtest
    // carries the failure, the parent is no flaky test of its own).
    const suiteDir = sampleSuite(framework, s.root).dir;
    const read = async (n: number) =>
      (await readJUnitFile(attemptJUnit(s.dozhimState, n), { baseDir: suiteDir })).results;
    const isFailing = (r: TestResult) => r.status === 'failed' || r.status === 'error';
    const explainedParent = (r: TestResult, all: readonly TestResult[]) =>
      framework === 'go' &&
      all.some(
        (c) => c !== r && isFailing(c) && c.classname === r.classname && c.name.startsWith(`${r.name}/`),
      );
    const firstAll = await read(1);
    const first = { results: firstAll.filter((r) => !isFailing(r) || !explainedParent(r, firstAll)) };
    const failedFirst = first.results.filter(isFailing).map((r) => r.id);
    expect(failedFirst.length).toBeGreaterThanOrEqual(3);
    expect(failedFirst.some((id) => id.includes('hostile'))).toBe(true);

    // The framework's own rerun report holds exactly the failed tests (frameworks that list filtered-out
    // tests as skipped, like jest and vitest, may do so: none of them executed).
    // go: the parents of the re-run subtests ran too (and count, so a parent failing by itself shows).
    const parents = firstAll.filter((r) => isFailing(r) && explainedParent(r, firstAll)).map((r) => r.id);
    const rerun = { results: await read(2) };
    expect(nonSkipped(rerun.results)).toEqual([...failedFirst, ...parents].sort());
    // ran.log: every test body ran once in attempt 1; in the rerun only the flaky ones ran, once more.
    expect(executionCounts(ranLog(s.sampleState))).toEqual(
      expectedCounts(ranLog(s.sampleState), flakyMarkers(s.sampleState)),
    );
    expect(new Set(summary.flaky)).toEqual(new Set(failedFirst));

    // The merged report: one testcase per test, the flaky ones marked with their first failure.
    const merged = await readJUnitFile(s.report);
    const ids = merged.results.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set(firstAll.map((r) => r.id)));
    // Tests not re-run keep their first-attempt status (jest/vitest list them as skipped in a rerun).
    const firstStatus = new Map(first.results.map((r) => [r.id, r.status]));
    for (const r of merged.results.filter((x) => !failedFirst.includes(x.id) && !parents.includes(x.id))) {
      expect(r.status, r.id).toBe(firstStatus.get(r.id));
    }
    for (const r of merged.results.filter((x) => failedFirst.includes(x.id))) {
      expect(r.status, r.id).toBe('passed');
      expect(
        r.retries.map((x) => x.kind),
        r.id,
      ).toContain('flakyFailure');
    }
  });

  it('exits 6 with --fail-on-flaky', async () => {
    const { s, proc, out } = await runFlaky(framework, ['--fail-on-flaky']);
    expect(proc.code, out).toBe(6);
    expect(readSummary(s.summary).flaky.length).toBeGreaterThanOrEqual(3);
  });
});

describe('dozhim run --framework pytest with placeholders', () => {
  it('`-n {threads}` placed by the user: xdist gets 2 then 1, and the rerun still selects only the flaky tests', async () => {
    const s = scratchRun('pytest-placeholders');
    dirs.push(s.root);
    const suite = sampleSuite('pytest', s.root);
    requireTools(suite.tools);
    const proc = await dozhim(
      ['run', '--framework', 'pytest', '--threads', '2', ...s.args(), '--', ...suite.argv, '-n', '{threads}'],
      { cwd: suite.dir, env: { ...suite.env, SAMPLE_STATE_DIR: s.sampleState }, timeoutMs: 180_000 },
    );
    const out = `${proc.stdout}\n${proc.stderr}`;
    expect(proc.code, out).toBe(0);
    expect(readSummary(s.summary).attempts.map((a) => a.threads)).toEqual([2, 1]);
    // xdist prints one `gwN [count]` per worker it started: two in attempt 1, one in the rerun.
    expect(out).toMatch(/^gw0 \[12\] \/ gw1 \[12\]$/m);
    expect(out).toMatch(/^gw0 \[4\]$/m);
    const flaky = flakyMarkers(s.sampleState);
    expect(executionCounts(ranLog(s.sampleState))).toEqual(expectedCounts(ranLog(s.sampleState), flaky));
  });
});
