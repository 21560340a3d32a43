import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, makeSuite, passing, runCli } from './harness.js';

// The real binary on --junit globs (an e2e test: the e2e project's global setup builds first).

const xml = (name: string, failed = false): string =>
  `<testsuite name="s"><testcase classname="c" name="${name}">${failed ? '<failure message="x"/>' : ''}</testcase></testsuite>`;

describe('dozhim run --junit <glob> (real binary)', () => {
  beforeAll(() => assertBuilt());

  it('never mistakes a stale report for this attempt', async () => {
    const s = await makeSuite([...passing(1), { classname: 'suite.Flaky', name: 'once', failTimes: 1 }]);
    await mkdir(join(s.dir, 'reports'));
    await writeFile(join(s.dir, 'reports/stale.xml'), xml('stale', true));
    const r = await runCli(
      [
        'run',
        '--state-dir',
        '.d',
        '--summary-json',
        'summary.json',
        '--junit',
        'reports/*.xml',
        '--',
        'node',
        s.suite,
      ],
      s.dir,
      { FAKE_REPORT_PATH: join(s.dir, 'reports/junit.xml') },
    );
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const summary = JSON.parse(await readFile(join(s.dir, 'summary.json'), 'utf8'));
    expect(summary.attempts.map((a: { total: number }) => a.total)).toEqual([2, 1]);
    expect(summary.flaky).toEqual(['suite.Flaky::once']);
  });
});
