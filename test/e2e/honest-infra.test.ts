// When a rerun cannot say anything about the tests (its selection matched nothing) or a preset cannot
// drive the command, dozhim says so and stops: never "no test passed after retry", never green.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dozhim, removeDir, requireBuilt, tempDir } from './helpers.js';
import { GO_ENV, HONEST_SUITES, type HonestRun, PYTEST_TOOLS, runHonest } from './honest-helpers.js';

const cleanup: (() => void)[] = [];
beforeAll(requireBuilt);
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});
const track = (r: HonestRun): HonestRun => {
  cleanup.push(() => r.dispose());
  return r;
};

describe('a rerun whose selection matches no test', () => {
  it('is an infrastructure error (exit 7) naming the selection', async () => {
    // The failing test's title carries the attempt number: attempt 2's --grep finds nothing.
    const r = track(await runHonest('mocha', { env: { SAMPLE_RENAMING: '1' } }));
    expect(r.proc.code, r.out).toBe(7);
    expect(r.summary.line).toContain('the rerun selection matched no test');
    expect(r.summary.line).toContain('renaming fails on attempt 1');
    expect(r.out).not.toContain('no test passed after retry');
    expect(r.ran.filter((k) => k === 'renaming')).toHaveLength(1);
  });
});

describe('a preset that cannot work with the command', () => {
  it('--framework go without gotestsum: usage error (exit 2) saying what to run', async () => {
    const scratch = tempDir('honest-go-plain');
    cleanup.push(() => removeDir(scratch));
    const p = await dozhim(
      ['run', '--framework', 'go', '--state-dir', join(scratch, 'state'), '--', 'go', 'test', './...'],
      { cwd: HONEST_SUITES.go.dir, env: GO_ENV },
    );
    expect(p.code, p.stderr).toBe(2);
    expect(p.stderr).toContain('--framework go needs gotestsum');
  });

  it('--framework pytest --threads 2 when pytest-xdist cannot be imported: usage error (exit 2)', async () => {
    const scratch = tempDir('honest-no-xdist');
    cleanup.push(() => removeDir(scratch));
    // A module named xdist that fails to import stands in for a machine without pytest-xdist.
    const shadow = join(scratch, 'shadow');
    mkdirSync(shadow);
    writeFileSync(join(shadow, 'xdist.py'), 'raise ImportError("pytest-xdist is not installed")\n');
    const p = await dozhim(
      [
        'run',
        '--framework',
        'pytest',
        '--threads',
        '2',
        '--state-dir',
        join(scratch, 'state'),
        '--',
        ...HONEST_SUITES.pytest.argv,
      ],
      { cwd: HONEST_SUITES.pytest.dir, env: { PYTHONPATH: shadow } },
    );
    expect(p.code, p.stderr).toBe(2);
    expect(p.stderr).toContain('needs pytest-xdist');
    // One thread runs in-process and needs no xdist (plugin autoload off: it would load the stand-in).
    const one = track(
      await runHonest('pytest', {
        env: { PYTHONPATH: shadow, PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1' },
        tools: PYTEST_TOOLS,
      }),
    );
    expect(one.proc.code, one.out).toBe(0);
  });
});
