// Two different tests must never collapse into one id with the real frameworks, and a test reported
// twice in one report is two executions unless the framework writes retries. Each case has one test
// that fails (SAMPLE_FAIL=1) next to one that passes under the same words: the failing one must stay
// failing, the passing one must stay passed (not flaky), whatever order the report lists them in.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireBuilt } from './helpers.js';
import { type HonestRun, runHonest, statuses } from './honest-helpers.js';

const runs: HonestRun[] = [];
beforeAll(requireBuilt);
afterEach(() => {
  for (const r of runs.splice(0)) r.dispose();
});
const track = (r: HonestRun): HonestRun => {
  runs.push(r);
  return r;
};
const FAIL = { SAMPLE_FAIL: '1' };

describe('jest', () => {
  it('describe("group a") › "b c" and describe("group") › "a b c" are two tests; a top-level name has no lead', async () => {
    const r = track(await runHonest('jest', { flags: ['--max-runs', '2'], env: FAIL }));
    expect(r.proc.code, r.out).toBe(1);
    expect(r.summary.failing).toEqual(['tests/names.test.cjs::group a › b c']);
    const merged = await r.merged();
    expect(statuses(merged)).toMatchObject({
      'tests/names.test.cjs::group a › b c': 'failed',
      'tests/names.test.cjs::group › a b c': 'passed',
      'tests/names.test.cjs::top level': 'passed',
    });
    expect(merged.find((t) => t.id === 'tests/names.test.cjs::top level')?.name).toBe('top level');
    expect(r.summary.flaky).not.toContain('tests/names.test.cjs::group › a b c');
  });
});

describe('vitest', () => {
  it('the same title twice in one file: two executions, the failing one fails the test', async () => {
    const r = track(await runHonest('vitest', { flags: ['--max-runs', '2'], env: FAIL }));
    expect(r.proc.code, r.out).toBe(1);
    expect(r.summary.failing).toEqual(['tests/twice.test.mjs::twice > same title']);
    // The same run: a file that failed to load is re-run whole and its test counted.
    expect(r.summary.flaky).toEqual(['tests/loads.test.mjs::tests/loads.test.mjs']);
    expect(statuses(await r.merged())['tests/loads.test.mjs::loads > first']).toBe('passed');
    expect(r.ran.filter((k) => k === 'loads.first')).toHaveLength(1);
  });
});

describe('mocha', () => {
  it('the same full title in two spec files: two tests, only the failing one fails', async () => {
    const r = track(await runHonest('mocha', { flags: ['--max-runs', '2'], env: FAIL }));
    expect(r.proc.code, r.out).not.toBe(0);
    expect(r.summary.failing).toHaveLength(1);
    expect(r.summary.failing[0]).toContain('same has one title');
    const same = (await r.merged()).filter((t) => t.name === 'same has one title');
    expect(same.map((t) => t.status).sort()).toEqual(['failed', 'passed']);
  });
});

// Playwright (the same test in two projects) is checked in honest-groups.test.ts, in the one run of the
// Playwright suite.
