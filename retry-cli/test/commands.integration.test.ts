import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseJUnit } from '@dozhim/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, BIN, makeSuite, passing, runCli } from './harness.js';

// The commands for pipelines that run attempts in separate jobs: attempt, failed, upload, decide,
// report, with the REAL binary, in local mode and against the REAL reporter.

beforeAll(() => assertBuilt());

const junit = (cases: [classname: string, name: string, failed: boolean][]): string =>
  `<?xml version="1.0"?>\n<testsuite name="s" tests="${cases.length}">${cases
    .map(
      ([c, n, f]) =>
        `<testcase classname="${c}" name="${n}" time="0.1">${f ? '<failure message="boom">x</failure>' : ''}</testcase>`,
    )
    .join('')}</testsuite>\n`;

describe('multi-job commands, local mode', () => {
  it('runs attempt after attempt from local state, and failed/decide/report describe the run', async () => {
    const s = await makeSuite([...passing(3), { classname: 'suite.Flaky', name: 'once', failTimes: 1 }]);
    const state = ['--run-id', 'job-run-1', '--state-dir', join(s.dir, '.dozhim')];

    const a1 = await runCli(['attempt', ...state, '--threads', '4', '--json', '--', 'node', s.suite], s.dir);
    expect(a1.code, a1.stderr).toBe(1);
    const j1 = JSON.parse(a1.stdout);
    expect(j1).toMatchObject({ attempt: 1, ran: true, threads: 4, counts: { total: 4, failed: 1 } });
    expect(j1.decision).toMatchObject({
      action: 'retry',
      nextThreads: 2,
      testsToRerun: ['suite.Flaky::once'],
    });

    const failed = await runCli(['failed', ...state], s.dir);
    expect(failed.code, failed.stderr).toBe(0);
    expect(failed.stdout).toBe('suite.Flaky::once\n');

    const generic = await runCli(['failed', ...state, '--format', 'generic', '--json'], s.dir);
    expect(JSON.parse(generic.stdout)).toMatchObject({
      failing: ['suite.Flaky::once'],
      args: ['suite.Flaky::once'],
    });
    expect((await runCli(['failed', ...state, '--format', 'nose'], s.dir)).code).toBe(2);

    const decision = await runCli(['decide', ...state, '--json'], s.dir);
    expect(decision.code, decision.stderr).toBe(0);
    expect(JSON.parse(decision.stdout)).toMatchObject({ action: 'retry', nextAttempt: 2, nextThreads: 2 });

    const a2 = await runCli(['attempt', ...state, '--json', '--', 'node', s.suite], s.dir);
    expect(a2.code, a2.stderr).toBe(0);
    expect(JSON.parse(a2.stdout)).toMatchObject({
      attempt: 2,
      threads: 2,
      selected: 1,
      line: 'FINISHED - 1 flaky test passed on rerun',
    });
    expect((await s.runs()).map((r) => r.ran)).toEqual([
      ['suite.Pass::test_0', 'suite.Pass::test_1', 'suite.Pass::test_2', 'suite.Flaky::once'],
      ['suite.Flaky::once'],
    ]);

    // The run is finished: another attempt runs nothing and repeats the decision.
    const a3 = await runCli(['attempt', ...state, '--', 'node', s.suite], s.dir);
    expect(a3.code).toBe(0);
    expect(a3.stdout).toContain('FINISHED - 1 flaky test passed on rerun');
    expect(await s.runs()).toHaveLength(2);

    const out = join(s.dir, 'merged.xml');
    const report = await runCli(['report', ...state, '-o', out], s.dir);
    expect(report.code, report.stderr).toBe(0);
    const merged = parseJUnit(await readFile(out, 'utf8'));
    expect(merged.results).toHaveLength(4);
    expect(merged.results.find((t) => t.name === 'once')?.retries.length).toBeGreaterThan(0);
  });

  it('an interrupted attempt is not recorded: the next job runs it again in full', async () => {
    const s = await makeSuite([...passing(3)]);
    const state = ['--run-id', 'job-interrupted', '--state-dir', join(s.dir, '.dozhim')];
    // The suite writes a partial report (one test) and hangs, as a suite killed by CI mid-way would.
    const partial = join(s.dir, 'partial.sh');
    await writeFile(
      partial,
      `printf '<testsuite><testcase classname="suite.Pass" name="test_0"/></testsuite>' > "$DOZHIM_JUNIT"; touch "$0.started"; sleep 30\n`,
    );
    const child = spawn(process.execPath, [BIN, 'attempt', ...state, '--json', '--', 'sh', partial], {
      cwd: s.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !existsSync(`${partial}.started`))
      await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    const code = await new Promise((r) => child.on('close', r));
    expect(code, out).toBe(143);
    expect(JSON.parse(out)).toMatchObject({ attempt: 1, ran: true, exitCode: 143 });

    // Nothing was recorded for the run, so the next job runs attempt 1 again, whole.
    const next = await runCli(['attempt', ...state, '--json', '--', 'node', s.suite], s.dir);
    expect(next.code, next.stderr).toBe(0);
    expect(JSON.parse(next.stdout)).toMatchObject({
      attempt: 1,
      ran: true,
      counts: { total: 3 },
      line: 'FINISHED',
    });
  });

  it('attempt --json says ran:false when the health check stopped the run before the command', async () => {
    const s = await makeSuite([...passing(1), { classname: 'suite.Flaky', name: 'once', failTimes: 1 }]);
    const state = ['--run-id', 'job-unhealthy', '--state-dir', join(s.dir, '.dozhim')];
    expect((await runCli(['attempt', ...state, '--', 'node', s.suite], s.dir)).code).toBe(1);
    const a2 = await runCli(
      [
        'attempt',
        ...state,
        '--json',
        '--health-check',
        'false',
        '--health-timeout',
        '1',
        '--',
        'node',
        s.suite,
      ],
      s.dir,
    );
    expect(a2.code, a2.stderr).toBe(5);
    expect(JSON.parse(a2.stdout)).toMatchObject({ attempt: 2, ran: false, counts: null });
    expect(await s.runs()).toHaveLength(1);
  });

  it('needs a run id for the query commands (exit 2)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dozhim-cmd-'));
    const r = await runCli(['failed'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no run id');
  });
});

describe('multi-job commands with the reporter', () => {
  let reporter: ChildProcess;
  let url: string;
  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dozhim-rep-'));
    const bin = fileURLToPath(new URL('../../reporter/bin/dozhim-reporter.js', import.meta.url));
    reporter = spawn(process.execPath, [bin, '--port', '0', '--db', join(dir, 'r.db')], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('reporter did not start (is it built? npx tsc -b reporter)')),
        15_000,
      );
      reporter.stdout?.on('data', (c) => {
        const m = /listening on (http:\/\/\S+)/.exec(String(c));
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    });
  });
  afterAll(() => reporter?.kill());

  it('continues a run from shards other jobs uploaded: attempt 2 reruns only their failures', async () => {
    const s = await makeSuite([
      { classname: 'suite.A', name: 'a1', failTimes: 0 },
      { classname: 'suite.A', name: 'a2', failTimes: 0 },
      { classname: 'suite.B', name: 'b1', failTimes: 0 },
      { classname: 'suite.B', name: 'b2', failTimes: 0 },
    ]);
    const shardA = join(s.dir, 'shard-a.xml');
    const shardB = join(s.dir, 'shard-b.xml');
    await writeFile(
      shardA,
      junit([
        ['suite.A', 'a1', false],
        ['suite.A', 'a2', true],
      ]),
    );
    await writeFile(
      shardB,
      junit([
        ['suite.B', 'b1', true],
        ['suite.B', 'b2', false],
      ]),
    );
    const run = ['--run-id', 'sharded/7', '--reporter', url];
    // Two "jobs" with their own state dirs upload a shard each.
    for (const [shard, file] of [
      ['a', shardA],
      ['b', shardB],
    ] as const) {
      const up = await runCli(
        [
          'upload',
          ...run,
          '--state-dir',
          join(s.dir, `job-${shard}`),
          '--attempt',
          '1',
          '--shard',
          shard,
          file,
        ],
        s.dir,
      );
      expect(up.code, up.stderr).toBe(0);
      expect(up.stdout).toContain(`to run sharded/7 attempt 1 shard ${shard} in reporter`);
    }

    const failed = await runCli(['failed', ...run, '--json', '--state-dir', join(s.dir, 'job-c')], s.dir);
    expect(JSON.parse(failed.stdout).failing).toEqual(['suite.A::a2', 'suite.B::b1']);

    // A third job, with empty local state, runs attempt 2 from the reporter's view.
    const a2 = await runCli(
      ['attempt', ...run, '--state-dir', join(s.dir, 'job-c'), '--json', '--', 'node', s.suite],
      s.dir,
    );
    expect(a2.code, a2.stderr).toBe(0);
    expect(JSON.parse(a2.stdout)).toMatchObject({ attempt: 2, mode: 'reporter', selected: 2 });
    expect((await s.runs())[0]!.ran.sort()).toEqual(['suite.A::a2', 'suite.B::b1']);
    expect(await (await fetch(`${url}/failedTests/${encodeURIComponent('sharded/7')}`)).json()).toEqual({
      data: [],
    });

    const out = join(s.dir, 'merged.xml');
    const report = await runCli(['report', ...run, '--output', out], s.dir);
    expect(report.code, report.stderr).toBe(0);
    const merged = parseJUnit(await readFile(out, 'utf8'));
    expect(merged.results.map((t) => [t.id, t.status]).sort()).toEqual([
      ['suite.A::a1', 'passed'],
      ['suite.A::a2', 'passed'],
      ['suite.B::b1', 'passed'],
      ['suite.B::b2', 'passed'],
    ]);
  });
});
