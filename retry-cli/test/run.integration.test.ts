import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJUnit } from '@dozhim/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, makeSuite, passing, runCli, startCli } from './harness.js';

// Integration tests of `dozhim run` with the REAL binary (build first: `npx tsc -b retry-cli`) on a
// tiny generic suite: a node script writing JUnit to $DOZHIM_JUNIT, flaky via a state file.

beforeAll(() => assertBuilt());

const WEIRD = 'test with spaces "quotes" \'single\' [param-1] ünï (a|b).*$ ; rm -rf x';

const base = (dir: string): string[] => [
  '--state-dir',
  join(dir, '.dozhim'),
  '--report',
  join(dir, 'report.xml'),
  '--summary-json',
  join(dir, 'summary.json'),
];

async function summary(
  dir: string,
): Promise<Record<string, unknown> & { attempts: { threads: number; selected?: number }[] }> {
  return JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8'));
}

describe('dozhim run (generic, real binary)', () => {
  it('reruns only the failed tests with halved threads, ends flaky and exits 0', async () => {
    const s = await makeSuite([
      ...passing(5),
      { classname: 'suite.Flaky', name: WEIRD, failTimes: 1 },
      { classname: 'suite.Flaky', name: 'test_b', failTimes: 1 },
    ]);
    const r = await runCli(['run', ...base(s.dir), '--threads', '8', '--', 'node', s.suite], s.dir);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const runs = await s.runs();
    expect(runs).toHaveLength(2);
    expect(runs[0]!.ran).toHaveLength(7);
    expect(runs[0]!.threads).toBe('8');
    expect(runs[1]!.threads).toBe('4');
    expect(runs[1]!.ran.sort()).toEqual([`suite.Flaky::${WEIRD}`, 'suite.Flaky::test_b'].sort());
    expect(r.stdout).toContain('dozhim: attempt 2/3 - 4 threads, 2 tests selected');
    expect(r.stdout).toContain('FINISHED - 2 flaky tests passed on rerun');
    const sum = await summary(s.dir);
    expect(sum.flaky).toEqual([`suite.Flaky::${WEIRD}`, 'suite.Flaky::test_b'].sort());
    expect(sum.failing).toEqual([]);
    expect(sum.attempts.map((a) => a.threads)).toEqual([8, 4]);
    const merged = parseJUnit(await readFile(join(s.dir, 'report.xml'), 'utf8'));
    const ids = merged.results.map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(7);
    const weird = merged.results.find((t) => t.name === WEIRD)!;
    expect(weird.status).toBe('passed');
    expect(weird.retries.length).toBeGreaterThan(0);
  });

  it('exits 6 for a flaky run with --fail-on-flaky', async () => {
    const s = await makeSuite([...passing(2), { classname: 'suite.Flaky', name: 'once', failTimes: 1 }]);
    const r = await runCli(['run', ...base(s.dir), '--fail-on-flaky', '--', 'node', s.suite], s.dir);
    expect(r.code, r.stderr + r.stdout).toBe(6);
  });

  it('exits 1 when tests still fail after the runs are spent', async () => {
    const s = await makeSuite([
      ...passing(2),
      { classname: 'suite.Bad', name: 'always', failTimes: Number.POSITIVE_INFINITY },
      { classname: 'suite.Flaky', name: 'twice', failTimes: 2 },
    ]);
    const args = [
      'run',
      ...base(s.dir),
      '--max-runs',
      '2',
      '--no-stop-on-no-progress',
      '--',
      'node',
      s.suite,
    ];
    const r = await runCli(args, s.dir);
    expect(r.code, r.stderr + r.stdout).toBe(1);
    expect(r.stdout).toContain('FINISHED - max runs reached, 2 tests still failing');
    expect((await summary(s.dir)).failing).toEqual(['suite.Bad::always', 'suite.Flaky::twice']);
  });

  it('exits 3 after attempt 1 when more tests than --max-failed fail, and reruns at the limit', async () => {
    const fail = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ classname: 'suite.F', name: `f${i}`, failTimes: 1 }));
    const over = await makeSuite([...passing(3), ...fail(41)]);
    const r = await runCli(
      ['run', ...base(over.dir), '--max-failed', '40', '--', 'node', over.suite],
      over.dir,
    );
    expect(r.code, r.stderr + r.stdout).toBe(3);
    expect(r.stdout).toContain('TERMINATED - too many failed tests: 41 > 40');
    expect(await over.runs()).toHaveLength(1);

    const at = await makeSuite([...passing(3), ...fail(40)]);
    const r2 = await runCli(['run', ...base(at.dir), '--max-failed', '40', '--', 'node', at.suite], at.dir);
    expect(r2.code, r2.stderr + r2.stdout).toBe(0);
    expect((await at.runs())[1]!.ran).toHaveLength(40);
  });

  it('exits 4 when a rerun makes no failing test pass', async () => {
    const s = await makeSuite([
      ...passing(2),
      { classname: 'suite.Bad', name: 'always', failTimes: Number.POSITIVE_INFINITY },
    ]);
    const r = await runCli(['run', ...base(s.dir), '--', 'node', s.suite], s.dir);
    expect(r.code, r.stderr + r.stdout).toBe(4);
    expect(r.stdout).toContain('TERMINATED - no test passed after retry');
    expect(await s.runs()).toHaveLength(2);
  });

  it('exits 5 without rerunning when the health check keeps failing', async () => {
    const s = await makeSuite([...passing(1), { classname: 'suite.Flaky', name: 'once', failTimes: 1 }]);
    const r = await runCli(
      ['run', ...base(s.dir), '--health-check', 'exit 1', '--health-timeout', '1', '--', 'node', s.suite],
      s.dir,
    );
    expect(r.code, r.stderr + r.stdout).toBe(5);
    expect(r.stdout).toContain('TERMINATED - environment unhealthy');
    expect(await s.runs()).toHaveLength(1);
  });

  it('waits with backoff while the health check fails, then reruns; a failing before-rerun hook exits 7', async () => {
    const s = await makeSuite([...passing(1), { classname: 'suite.Flaky', name: 'once', failTimes: 1 }]);
    const healthCheck = 'test -f hc.ok || { touch hc.ok; exit 1; }';
    const r = await runCli(
      [
        'run',
        ...base(s.dir),
        '--health-check',
        healthCheck,
        '--before-rerun',
        'touch hook.ran',
        '--',
        'node',
        s.suite,
      ],
      s.dir,
    );
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stderr).toContain('health check failed (exit 1), retrying in 500ms');
    expect(await readFile(join(s.dir, 'hook.ran'), 'utf8')).toBe('');
    expect(await s.runs()).toHaveLength(2);

    const t = await makeSuite([...passing(1), { classname: 'suite.Flaky', name: 'once', failTimes: 1 }]);
    const hook = await runCli(
      ['run', ...base(t.dir), '--before-rerun', 'exit 3', '--', 'node', t.suite],
      t.dir,
    );
    expect(hook.code, hook.stderr + hook.stdout).toBe(7);
    expect(hook.stdout).toContain('TERMINATED - infrastructure error: the before-rerun hook failed (exit 3)');
    expect(await t.runs()).toHaveLength(1);
  });

  it('exits 7 without a rerun when the command is not found, crashes or writes no report', async () => {
    const s = await makeSuite(passing(1));
    const notFound = await runCli(['run', ...base(s.dir), '--', 'no-such-command-dozhim'], s.dir);
    expect(notFound.code, notFound.stderr + notFound.stdout).toBe(7);
    expect(notFound.stdout).toContain('command not found: no-such-command-dozhim');

    const shellNotFound = await runCli(['run', ...base(s.dir), '--', 'no-such-command-dozhim --flag'], s.dir);
    expect(shellNotFound.code).toBe(7);

    const crash = await runCli(['run', ...base(s.dir), '--', 'node', s.suite], s.dir, { FAKE_CRASH: '1' });
    expect(crash.code, crash.stderr + crash.stdout).toBe(7);
    expect(crash.stdout).toContain('killed by SIGSEGV');

    const noReport = await runCli(['run', ...base(s.dir), '--', 'node', s.suite], s.dir, {
      FAKE_NO_REPORT: '1',
    });
    expect(noReport.code).toBe(7);
    expect(noReport.stdout).toContain('produced no usable JUnit report');
    // Three suite invocations (crash, no report, and none for "not found"): never a rerun.
    expect((await s.runs()).map((x) => x.attempt)).toEqual(['1', '1']);
  });

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)(
    'forwards %s during attempt 2 to the test process group, writes the partial report, exits %i',
    async (signal, code) => {
      const s = await makeSuite([...passing(2), { classname: 'suite.Flaky', name: 'once', failTimes: 1 }]);
      // Attempt 2 sleeps (the sleep applies to every attempt; attempt 1 is short enough).
      const { child, done } = startCli(
        [
          'run',
          ...base(s.dir),
          '--',
          'sh',
          '-c',
          'if [ "$DOZHIM_ATTEMPT" = 2 ]; then export FAKE_SLEEP_MS=30000; fi; exec node "$0" "$@"',
          s.suite,
        ],
        s.dir,
      );
      const pidFile = join(s.dir, 'pid-2');
      const deadline = Date.now() + 20_000;
      let pids: number[] | undefined;
      while (Date.now() < deadline && pids === undefined) {
        await new Promise((r) => setTimeout(r, 50));
        // The file may exist before its pids are written: only a full line of real pids counts
        // (pid 0 would name our own process group, and kill(0, 0) always succeeds).
        pids = await readFile(pidFile, 'utf8').then(
          (t) => {
            const found = t.trim().split(/\s+/).map(Number);
            return found.length >= 2 && found.every((p) => Number.isInteger(p) && p > 0) ? found : undefined;
          },
          () => undefined,
        );
      }
      expect(pids, 'attempt 2 never started').toBeDefined();
      child.kill(signal);
      const r = await done;
      expect(r.code, r.stderr + r.stdout).toBe(code);
      expect(r.stdout).toContain(`INTERRUPTED - received ${signal}`);
      for (const pid of pids!) expect(() => process.kill(pid, 0), `pid ${pid} still alive`).toThrow();
      const merged = parseJUnit(await readFile(join(s.dir, 'report.xml'), 'utf8'));
      expect(merged.results.map((t) => t.id).sort()).toEqual([
        'suite.Flaky::once',
        'suite.Pass::test_0',
        'suite.Pass::test_1',
      ]);
    },
  );

  it('--junit with a framework preset: the adapter leaves the report where the user writes it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dozhim-junit-'));
    await writeFile(join(dir, 'test_one.py'), 'def test_one():\n    assert True\n');
    const r = await runCli(
      [
        'run',
        ...base(dir),
        '--framework',
        'pytest',
        '--junit',
        'out/*.xml',
        '--',
        '/usr/bin/python3',
        '-m',
        'pytest',
        '-p',
        'no:cacheprovider',
        '--junitxml=out/r.xml',
      ],
      dir,
    );
    expect(r.code, r.stderr + r.stdout).toBe(0);
    // Only the user's --junitxml: a second one from the adapter would send the report elsewhere.
    expect(r.stdout.match(/--junitxml=/g)).toHaveLength(1);
    expect((await summary(dir)).attempts[0]).toMatchObject({ total: 1, passed: 1 });
  });

  it('counts a selected test without a result in a rerun as failed ("no result reported")', async () => {
    // A rerun that reports none of its tests is an infrastructure error (exit 7); here one of the two
    // selected tests reports, the other is missing.
    const s = await makeSuite([
      ...passing(1),
      { classname: 'suite.Flaky', name: 'lost', failTimes: 1 },
      { classname: 'suite.Flaky', name: 'found', failTimes: 1 },
    ]);
    const r = await runCli(['run', ...base(s.dir), '--max-runs', '2', '--', 'node', s.suite], s.dir, {
      FAKE_OMIT: 'suite.Flaky::lost',
    });
    expect(r.code, r.stderr + r.stdout).toBe(1);
    expect(r.stderr).toContain('1 selected test(s) reported no result; counted as failed');
    expect((await summary(s.dir)).failing).toEqual(['suite.Flaky::lost']);
    const merged = parseJUnit(await readFile(join(s.dir, 'report.xml'), 'utf8'));
    const lost = merged.results.find((t) => t.name === 'lost')!;
    expect(lost.status).toBe('failed');
    // Surefire convention: the first failure is <failure>, the rerun's is <rerunFailure>.
    expect([lost.message, ...lost.retries.map((x) => x.message)]).toContain('no result reported');
  });

  it('never retries quarantined tests nor lets them fail the run; --retry-on limits what is retried', async () => {
    const s = await makeSuite([
      ...passing(1),
      { classname: 'suite.Q', name: 'broken', failTimes: Number.POSITIVE_INFINITY },
      { classname: 'suite.T', name: 'timeout', failTimes: 1, message: 'TimeoutError: 30s' },
      { classname: 'suite.A', name: 'assert', failTimes: 1, message: 'expected 1 to be 2' },
    ]);
    await writeFile(join(s.dir, 'quarantine.txt'), '# known broken\nsuite.Q::broken\n');
    const r = await runCli(
      [
        'run',
        ...base(s.dir),
        '--quarantine',
        'quarantine.txt',
        '--retry-on',
        'Timeout',
        '--',
        'node',
        s.suite,
      ],
      s.dir,
    );
    // suite.A::assert is not retryable: it still fails, so the run fails (1), after one rerun.
    expect(r.code, r.stderr + r.stdout).toBe(1);
    expect((await s.runs())[1]!.ran).toEqual(['suite.T::timeout']);
    const sum = await summary(s.dir);
    expect(sum).toMatchObject({
      failing: ['suite.A::assert'],
      flaky: ['suite.T::timeout'],
      quarantined: ['suite.Q::broken'],
    });
  });

  it('follows an explicit threads schedule and expands placeholders in a shell command, quoted', async () => {
    const s = await makeSuite([...passing(1), { classname: 'suite.Flaky', name: WEIRD, failTimes: 2 }]);
    const cmd = `node ${s.suite} {tests} # threads={threads} attempt={attempt}`;
    const r = await runCli(
      ['run', ...base(s.dir), '--threads-schedule', '6,3,1', '--no-stop-on-no-progress', '--', cmd],
      s.dir,
    );
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const runs = await s.runs();
    expect(runs.map((x) => x.threads)).toEqual(['6', '3', '1']);
    expect(runs[1]!.args).toEqual([`suite.Flaky::${WEIRD}`]);
    expect(runs[2]!.args).toEqual([`suite.Flaky::${WEIRD}`]);
  });

  it('kills the whole tree of an attempt that exceeds --attempt-timeout, and exits 7', async () => {
    const s = await makeSuite(passing(1));
    const t0 = Date.now();
    const r = await runCli(['run', ...base(s.dir), '--attempt-timeout', '1', '--', 'node', s.suite], s.dir, {
      FAKE_SLEEP_MS: '60000',
    });
    expect(r.code, r.stderr + r.stdout).toBe(7);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(r.stdout).toContain('timed out after 1000ms');
    const pids = (await readFile(join(s.dir, 'pid-1'), 'utf8')).split(' ').map(Number);
    for (const pid of pids) expect(() => process.kill(pid, 0), `pid ${pid} still alive`).toThrow();
  });
});
