// pytest's group-level failures and paths, with the real `dozhim` binary and Debian's pytest + xdist on
// test/suites/honest/pytest: a module that does not import is re-run whole (and must stay failing when
// it never imports), workers that collected differently and interrupted sessions are infrastructure
// errors, and node ids are right from xunit2 reports with a rootdir below the working directory.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireBuilt } from './helpers.js';
import {
  counts,
  HONEST,
  HONEST_SUITES,
  type HonestRun,
  PYTEST_TOOLS,
  runHonest,
  statuses,
} from './honest-helpers.js';

const runs: HonestRun[] = [];
beforeAll(requireBuilt);
afterEach(() => {
  for (const r of runs.splice(0)) r.dispose();
});
const track = (r: HonestRun): HonestRun => {
  runs.push(r);
  return r;
};

describe('pytest under xdist: a module that fails to import', () => {
  it('runs the rest of the suite, then re-runs the module whole, counting its tests', async () => {
    const r = track(await runHonest('pytest', { flags: ['--threads', '2'], tools: PYTEST_TOOLS }));
    expect(r.proc.code, r.out).toBe(0);
    const first = statuses(await r.attemptReport(1));
    // The collection error did not stop the session: every other test ran in attempt 1.
    expect(first).toMatchObject({
      'pkg.test_plain.TestPlain::test_passes': 'passed',
      'pkg.test_plain.TestPlain::test_flaky': 'failed',
    });
    expect(Object.entries(first).filter(([, s]) => s === 'error')).toHaveLength(1);
    const rerun = await r.attemptReport(2);
    expect(rerun.map((t) => t.name).sort()).toEqual(['test_flaky', 'test_reads_rows', 'test_writes_rows']);
    expect(counts(r.ran)).toEqual({
      'plain.passes': 1,
      'plain.broken': 1,
      'plain.flaky': 2,
      'imports.reads': 1,
      'imports.writes': 1,
    });
    expect(r.summary.flaky.sort()).toEqual(
      [
        r.summary.flaky.find((id) => id.endsWith('pkg.test_imports'))!,
        'pkg.test_plain.TestPlain::test_flaky',
      ].sort(),
    );
    expect(statuses(await r.merged())).toMatchObject({
      'pkg.test_imports::test_reads_rows': 'passed',
      'pkg.test_imports::test_writes_rows': 'passed',
    });
  });

  it('a module that never imports stays failing', async () => {
    const r = track(
      await runHonest('pytest', {
        flags: ['--threads', '2', '--max-runs', '2'],
        env: { SAMPLE_IMPORT_BROKEN: '1' },
        tools: PYTEST_TOOLS,
      }),
    );
    // Attempt 2: the flaky test passes, the module still fails, and the runs are spent.
    expect(r.proc.code, r.out).toBe(1);
    expect(r.summary.failing.some((id) => id.endsWith('pkg.test_imports'))).toBe(true);
    expect(r.ran).not.toContain('imports.reads');
  });

  it('workers that collected different tests (`gw0`/`gw1`) are an infrastructure error, not a test', async () => {
    const r = track(
      await runHonest('pytest', {
        flags: ['--threads', '2'],
        env: { SAMPLE_IMPORT_PER_WORKER: '1' },
        tools: PYTEST_TOOLS,
      }),
    );
    expect(r.proc.code, r.out).toBe(7);
    expect(r.summary.line).toMatch(
      /infrastructure error: cannot re-run \S*gw\d+: pytest-xdist worker gw\d+ reported/,
    );
    expect(r.summary.attempts).toHaveLength(1);
  });
});

describe('pytest: xunit2 reports, rootdir below the working directory, interrupted sessions', () => {
  // Run from test/suites/honest/ naming the suite folder: pytest's rootdir (its pytest.ini) is
  // pytest/, so report paths are rootdir-relative while node ids must be cwd-relative.
  const fromAbove = (extra: string[]) => ({
    cwd: HONEST,
    argv: [
      ...HONEST_SUITES.pytest.argv,
      'pytest',
      '--junitxml={junit}',
      '-o',
      'junit_family=xunit2',
      ...extra,
    ],
    tools: PYTEST_TOOLS,
  });

  it('selects by cwd-relative node ids built from xunit2 classnames (no file attribute)', async () => {
    const r = track(await runHonest('pytest', fromAbove(['--continue-on-collection-errors'])));
    expect(r.proc.code, r.out).toBe(0);
    expect(r.out).toContain(
      ' pytest/pkg/test_plain.py::TestPlain::test_flaky pytest/pkg/test_imports.py -p dozhim_select',
    );
    expect(counts(r.ran)).toEqual({
      'plain.passes': 1,
      'plain.broken': 1,
      'plain.flaky': 2,
      'imports.reads': 1,
      'imports.writes': 1,
    });
  });

  it('a session a collection error interrupted (exit 2) is an infrastructure error, not a green rerun of the module', async () => {
    // Without --continue-on-collection-errors (the user placed {junit}, so the preset adds nothing),
    // pytest stops before running any other module: rerunning the module alone would end "green".
    const r = track(await runHonest('pytest', fromAbove([])));
    expect(r.proc.code, r.out).toBe(7);
    expect(r.summary.line).toContain('pytest was interrupted (exit 2');
    expect(r.ran).toEqual([]);
  });
});
