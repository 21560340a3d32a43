// Failures that belong to no single test (a mocha hook, a jest file that fails to load, a Playwright
// serial group, go subtests' parents) are re-run as their group, with the real `dozhim` binary and the
// real frameworks on test/suites/honest/ (pytest's are in honest-pytest.test.ts). Each verdict is also
// tried with the input that would fool it: a group that keeps failing must stay failing.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireBuilt } from './helpers.js';
import { counts, GO_TOOLS, type HonestRun, runHonest, statuses } from './honest-helpers.js';

const runs: HonestRun[] = [];
beforeAll(requireBuilt);
afterEach(() => {
  for (const r of runs.splice(0)) r.dispose();
});
const track = (r: HonestRun): HonestRun => {
  runs.push(r);
  return r;
};

const HOOK_ID_PART = '"before each" hook for "reads the first row"';

describe('mocha: a failing beforeEach hook', () => {
  it('re-runs its describe: the tests mocha never ran are run and counted, the hook ends flaky', async () => {
    const r = track(await runHonest('mocha'));
    expect(r.proc.code, r.out).toBe(0);
    // Attempt 1 has the hook failure and no result for the describe's tests.
    const first = await r.attemptReport(1);
    expect(first.filter((t) => t.name.includes('reads the')).map((t) => t.status)).toEqual(['failed']);
    // The rerun really ran the describe (its own report and ran.log), and nothing else.
    const rerun = await r.attemptReport(2);
    expect(rerun.map((t) => t.name).sort()).toEqual([
      'hooked reads the first row',
      'hooked reads the second row',
    ]);
    expect(counts(r.ran)).toEqual({
      'hooked.first': 1,
      'hooked.second': 1,
      'plain.passes': 1,
      'same-a': 1,
      'same-b': 1,
    });
    expect(r.summary.flaky).toHaveLength(1);
    expect(r.summary.flaky[0]).toContain(HOOK_ID_PART);
    const merged = statuses(await r.merged());
    expect(
      Object.entries(merged)
        .filter(([id]) => id.includes('reads the'))
        .map(([, s]) => s),
    ).toEqual(['passed', 'passed', 'passed']);
  });

  it('a hook that keeps failing keeps the run failing (never green, never "missing")', async () => {
    const r = track(
      await runHonest('mocha', { flags: ['--max-runs', '2'], env: { SAMPLE_HOOK_BROKEN: '1' } }),
    );
    expect(r.proc.code, r.out).toBe(4);
    expect(r.summary.failing.some((id) => id.includes(HOOK_ID_PART))).toBe(true);
    expect(r.ran.filter((k) => k.startsWith('hooked.'))).toEqual([]);
  });
});

describe('jest: a test file that fails to load', () => {
  it('re-runs the file whole; its tests are counted, the file failure ends flaky', async () => {
    const r = track(await runHonest('jest'));
    expect(r.proc.code, r.out).toBe(0);
    expect(r.summary.flaky).toEqual([
      'tests/loads.test.cjs > Test suite failed to run::tests/loads.test.cjs',
    ]);
    expect(counts(r.ran)).toMatchObject({ 'loads.first': 1, 'loads.second': 1 });
    expect(statuses(await r.merged())).toMatchObject({
      'tests/loads.test.cjs::loads › first': 'passed',
      'tests/loads.test.cjs::loads › second': 'passed',
      'tests/loads.test.cjs > Test suite failed to run::tests/loads.test.cjs': 'passed',
    });
  });
});

describe('Playwright: a serial group whose first failure stops the group; one test in two projects', () => {
  it('the tests that did not run are failures re-run with the group; the project that fails stays failing', async () => {
    // SAMPLE_FAIL=1: "differs by project" fails in beta only, every time. One run checks both cases
    // (Playwright's start-up is the slowest of the suites).
    const r = track(
      await runHonest('playwright', {
        flags: ['--threads', '2', '--max-runs', '2'],
        env: { SAMPLE_FAIL: '1' },
      }),
    );
    expect(r.proc.code, r.out).toBe(1);
    const first = (await r.attemptReport(1)).filter((t) => t.name.startsWith('checkout › '));
    // Playwright itself reports "pays" and "ships" as plain skipped...
    expect(first.filter((t) => t.name === 'checkout › pays').map((t) => t.status)).toEqual([
      'skipped',
      'skipped',
    ]);
    // ...dozhim counted them failed ("did not run") and re-ran them with the group, in each project.
    for (const p of ['alpha', 'beta']) {
      expect(counts(r.ran)[`${p}.checkout.pay`], p).toBe(1);
      expect(counts(r.ran)[`${p}.checkout.ship`], p).toBe(1);
      expect(counts(r.ran)[`${p}.checkout.add`], p).toBe(2);
      expect(counts(r.ran)[`${p}.checkout.login`], p).toBe(2);
    }
    expect(r.ran).not.toContain('alpha.skipped');
    const merged = await r.merged();
    const pays = merged.filter((t) => t.name === 'checkout › pays');
    expect(pays.map((t) => t.project).sort()).toEqual(['alpha', 'beta']);
    for (const t of pays) {
      expect(t.status).toBe('passed');
      expect(t.retries.map((x) => x.message)).toContain(
        'did not run: an earlier test of its serial group failed',
      );
    }
    // A test skipped on purpose stays skipped.
    expect(merged.filter((t) => t.name === 'declared skipped').map((t) => t.status)).toEqual([
      'skipped',
      'skipped',
    ]);
    // The same test in two projects is two tests: beta's failure is not hidden by alpha's pass.
    expect(r.summary.failing).toHaveLength(1);
    expect(r.summary.failing[0]).toMatch(/^\[beta\] .*::differs by project$/);
    const both = merged.filter((t) => t.name === 'differs by project');
    expect(both.map((t) => `${t.project} ${t.status}`).sort()).toEqual(['alpha passed', 'beta failed']);
  });
});

describe('go: subtests, names with "/", two packages', () => {
  it('re-runs only the failing package and subtest; the parent is no flaky test of its own', async () => {
    const r = track(await runHonest('go', { tools: GO_TOOLS }));
    expect(r.proc.code, r.out).toBe(0);
    expect(r.summary.flaky).toEqual(['example.com/dozhim/honest/alpha::TestPaths/a/b']);
    // Rerun: the "a/b" subtest again; its same-spelled sibling "a" body at most; nothing of "a/c",
    // "plain" or the beta package.
    const again = Object.entries(counts(r.ran))
      .filter(([, n]) => n > 1)
      .map(([k]) => k);
    expect(again.filter((k) => k !== 'alpha.paths.a')).toEqual(['alpha.paths.slash']);
    expect(counts(r.ran)).toMatchObject({
      'alpha.paths.a.c': 1,
      'alpha.paths.plain': 1,
      'beta.shared': 1,
      'beta.other': 1,
    });
    const rerun = await r.attemptReport(2);
    expect(new Set(rerun.map((t) => t.classname))).toEqual(new Set(['example.com/dozhim/honest/alpha']));
  });

  it('the same test name in two packages: the one failing stays failing, the other is not touched', async () => {
    const r = track(await runHonest('go', { env: { SAMPLE_FAIL: '1' }, tools: GO_TOOLS }));
    expect(r.proc.code, r.out).toBe(4);
    expect(r.summary.failing).toEqual(['example.com/dozhim/honest/beta::TestShared']);
    expect(statuses(await r.merged())['example.com/dozhim/honest/alpha::TestShared']).toBe('passed');
  });
});
