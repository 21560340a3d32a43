import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AxiosInstance, AxiosRequestConfig } from 'axios';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/program.js';
import type { Deps } from '../src/deps.js';
import type { ProcessResult, ProcessSpawner } from '../src/loop/process-runner.js';

/**
 * The run loop through its `Deps` seams, in-process: a fake spawner that "runs" a scripted suite by
 * writing the JUnit report dozhim asked for (real files, real reader), a fake clock whose sleep only
 * moves time, fake signals and a fake HTTP layer for the reporter. No binary, no child process: the
 * whole table runs in well under 2 s, and it uses the source, so it can never test a stale build.
 */

type Status = 'passed' | 'failed' | 'error' | 'skipped' | 'missing';

/** Per test: its status on its 1st, 2nd... run (the last one repeats). */
type Suite = Record<string, Status[] | { statuses: Status[]; message: string }>;

interface Spawned {
  attempt: number;
  threads: number;
  /** The rerun selection dozhim handed the command (undefined: the whole suite). */
  selected?: string[];
}

type Reporter = 'dead' | { status: number; code: string };

interface World {
  dir: string;
  spawned: Spawned[];
  stdout: string;
  stderr: string;
}

interface Options {
  /** Attempt numbers (1-based, counted over the whole row) on which a SIGINT arrives mid-run. */
  interruptOn?: number[];
  reporter?: Reporter;
  /** Attempts whose command writes no report at all. */
  noReportOn?: number[];
}

const xmlEscape = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

function makeWorld(dir: string, suite: Suite, opts: Options): { deps: Deps; world: World } {
  const world: World = { dir, spawned: [], stdout: '', stderr: '' };
  const runs = new Map<string, number>();
  let clock = Date.UTC(2026, 0, 1);
  const handlers = new Set<(s: NodeJS.Signals) => void>();

  const spawn: ProcessSpawner = (spec) => {
    const env = spec.env;
    const attempt = world.spawned.length + 1;
    const result = (async (): Promise<ProcessResult> => {
      const selected = env.DOZHIM_TESTS_FILE
        ? (await readFile(env.DOZHIM_TESTS_FILE, 'utf8')).split('\n').filter(Boolean)
        : undefined;
      world.spawned.push({
        attempt: Number(env.DOZHIM_ATTEMPT),
        threads: Number(env.DOZHIM_THREADS),
        ...(selected ? { selected } : {}),
      });
      clock += 1000;
      if (opts.interruptOn?.includes(attempt)) {
        for (const h of [...handlers]) h('SIGINT');
        return { exitCode: null, signal: 'SIGINT', timedOut: false, durationMs: 1000 };
      }
      if (opts.noReportOn?.includes(attempt)) {
        return { exitCode: 2, signal: null, timedOut: false, durationMs: 1000 };
      }
      let failed = 0;
      const cases: string[] = [];
      for (const [id, script] of Object.entries(suite)) {
        if (selected && !selected.includes(id)) continue;
        const { statuses, message } = Array.isArray(script) ? { statuses: script, message: 'boom' } : script;
        const n = (runs.get(id) ?? 0) + 1;
        runs.set(id, n);
        const status = statuses[Math.min(n, statuses.length) - 1]!;
        if (status === 'missing') continue;
        const [classname, name] = id.split('::') as [string, string];
        const body =
          status === 'failed' || status === 'error'
            ? `<${status === 'failed' ? 'failure' : 'error'} message="${xmlEscape(message)}" type="AssertionError">trace</${status === 'failed' ? 'failure' : 'error'}>`
            : status === 'skipped'
              ? '<skipped/>'
              : '';
        if (body && status !== 'skipped') failed++;
        cases.push(
          `<testcase classname="${xmlEscape(classname)}" name="${xmlEscape(name)}" time="0.01">${body}</testcase>`,
        );
      }
      await writeFile(
        env.DOZHIM_JUNIT!,
        `<?xml version="1.0"?>\n<testsuites><testsuite name="fake" tests="${cases.length}">${cases.join('')}</testsuite></testsuites>\n`,
      );
      return { exitCode: failed > 0 ? 1 : 0, signal: null, timedOut: false, durationMs: 1000 };
    })();
    return {
      pid: 4242,
      result,
      signalGroup: () => undefined,
      killTree: () => undefined,
      groupGone: async () => true,
    };
  };

  const http = async (): Promise<AxiosInstance> => {
    const request = async (_config: AxiosRequestConfig) => {
      const r = opts.reporter;
      if (r === 'dead' || r === undefined) {
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
      }
      return { status: r.status, data: { error: { code: r.code, message: `refused (${r.code})` } } };
    };
    return { request } as unknown as AxiosInstance;
  };

  const deps: Deps = {
    stdout: {
      write: (c) => {
        world.stdout += String(c);
      },
    },
    stderr: {
      write: (c) => {
        world.stderr += String(c);
      },
    },
    env: { DOZHIM_STATE_DIR: join(dir, 'state'), NO_COLOR: '1' },
    cwd: dir,
    now: () => clock,
    // The fake clock: waiting only moves time, so reporter backoff and budgets cost nothing.
    sleep: async (ms) => {
      clock += ms;
    },
    http,
    spawn,
    onSignal(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
  };
  return { deps, world };
}

interface Row {
  name: string;
  suite: Suite;
  /** One or more invocations, in order, sharing one state dir (`{cmd}` is appended). */
  calls: string[][];
  opts?: Options;
  exits: number[];
  /** What each spawned attempt got: [attempt, threads, selected ids or 'all']. */
  spawned?: [number, number, string[] | 'all'][];
  out?: RegExp;
  /** Output that must NOT appear (the input that would fool the verdict). */
  notOut?: RegExp;
}

const RUN = ['--run-id', 'table-1'];
const pass = (n: number): Suite =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`P::p${i}`, ['passed'] as Status[]]));

const rows: Row[] = [
  {
    name: 'all pass: one attempt, exit 0',
    suite: pass(3),
    calls: [['run', '--threads', '8']],
    exits: [0],
    spawned: [[1, 8, 'all']],
    out: /FINISHED/,
  },
  {
    name: 'a flaky test: rerun only it with half the threads, exit 0',
    suite: { ...pass(3), 'F::f': ['failed', 'passed'] },
    calls: [['run', '--threads', '8']],
    exits: [0],
    spawned: [
      [1, 8, 'all'],
      [2, 4, ['F::f']],
    ],
    out: /FINISHED - 1 flaky test passed on rerun/,
  },
  {
    name: 'flaky with --fail-on-flaky: exit 6',
    suite: { ...pass(1), 'F::f': ['failed', 'passed'] },
    calls: [['run', '--fail-on-flaky']],
    exits: [6],
  },
  {
    name: 'odd thread counts halve down: 7 -> 3 -> 1',
    suite: { ...pass(2), 'F::a': ['failed', 'failed', 'passed'], 'F::b': ['failed', 'passed'] },
    calls: [['run', '--threads', '7', '--max-runs', '3']],
    exits: [0],
    spawned: [
      [1, 7, 'all'],
      [2, 3, ['F::a', 'F::b']],
      [3, 1, ['F::a']],
    ],
  },
  {
    name: 'an explicit threads schedule is used in order',
    suite: { 'F::a': ['failed', 'failed', 'passed'], 'F::b': ['failed', 'passed'] },
    calls: [['run', '--threads', '6', '--threads-schedule', '6,5,2', '--max-runs', '3']],
    exits: [0],
    spawned: [
      [1, 6, 'all'],
      [2, 5, ['F::a', 'F::b']],
      [3, 2, ['F::a']],
    ],
  },
  {
    name: 'still failing when the runs are spent: exit 1',
    suite: { ...pass(1), 'F::a': ['failed', 'failed', 'passed'], 'F::b': ['failed', 'passed'] },
    calls: [['run', '--threads', '4', '--max-runs', '2']],
    exits: [1],
    spawned: [
      [1, 4, 'all'],
      [2, 2, ['F::a', 'F::b']],
    ],
    out: /max runs reached, 1 test still failing/,
  },
  {
    name: 'no test passes on the rerun: terminated, exit 4',
    suite: { ...pass(1), 'F::a': ['failed'] },
    calls: [['run', '--max-runs', '5']],
    exits: [4],
    spawned: [
      [1, 1, 'all'],
      [2, 1, ['F::a']],
    ],
    out: /no test passed after retry/,
  },
  {
    name: 'a failing test that comes back skipped is no progress (exit 4), not a pass',
    suite: { 'F::a': ['failed', 'skipped'], 'F::b': ['failed'] },
    calls: [['run', '--max-runs', '5']],
    exits: [4],
    notOut: /FINISHED/,
  },
  {
    name: 'the only failing test comes back skipped: never "passed" (flaky at best)',
    suite: { ...pass(1), 'F::a': ['failed', 'skipped'] },
    calls: [['run', '--max-runs', '3', '--fail-on-flaky']],
    exits: [6],
  },
  {
    name: 'a selected test that reports nothing on the rerun counts as failed',
    suite: { 'F::a': ['failed', 'passed'], 'F::b': ['failed', 'missing'] },
    calls: [['run', '--max-runs', '2']],
    exits: [1],
    out: /F::b/,
  },
  {
    name: 'too many failed tests: terminated after attempt 1, exit 3',
    suite: { ...pass(1), 'F::a': ['failed'], 'F::b': ['failed'], 'F::c': ['failed'] },
    calls: [['run', '--max-failed', '2']],
    exits: [3],
    spawned: [[1, 1, 'all']],
    out: /too many failed tests: 3 > 2/,
  },
  {
    name: 'max-failed as a percent of the first attempt',
    suite: { ...pass(8), 'F::a': ['failed', 'passed'], 'F::b': ['failed', 'passed'] },
    calls: [['run', '--max-failed', '10%']],
    exits: [3],
    out: /too many failed tests: 2 > 10% \(1\)/,
  },
  {
    name: '--retry-on retries only the matching subset; the others stay failing (exit 1)',
    suite: {
      'F::net': { statuses: ['failed', 'passed'], message: 'ECONNRESET by peer' },
      'F::bug': { statuses: ['failed', 'passed'], message: 'expected 1 to be 2' },
    },
    calls: [['run', '--retry-on', 'ECONNRESET', '--max-runs', '3']],
    exits: [1],
    spawned: [
      [1, 1, 'all'],
      [2, 1, ['F::net']],
    ],
  },
  {
    name: '--retry-on matching nothing: nothing is rerun, exit 1',
    suite: { 'F::bug': { statuses: ['failed', 'passed'], message: 'expected 1 to be 2' } },
    calls: [['run', '--retry-on', 'ECONNRESET']],
    exits: [1],
    spawned: [[1, 1, 'all']],
    out: /none matches --retry-on/,
  },
  {
    name: 'a command that writes no report: infrastructure error, exit 7, never retried',
    suite: pass(2),
    calls: [['run']],
    opts: { noReportOn: [1] },
    exits: [7],
    spawned: [[1, 1, 'all']],
    out: /infrastructure error/,
  },
  {
    name: 'SIGINT during attempt 1: exit 130, no rerun',
    suite: { 'F::a': ['failed', 'passed'] },
    calls: [['run', '--max-runs', '3']],
    opts: { interruptOn: [1] },
    exits: [130],
    spawned: [[1, 1, 'all']],
    out: /INTERRUPTED - received SIGINT/,
  },
  {
    name: 'SIGINT during the rerun: exit 130, the failure is not turned into a pass',
    suite: { 'F::a': ['failed', 'passed'] },
    calls: [['run', '--max-runs', '3']],
    opts: { interruptOn: [2] },
    exits: [130],
    spawned: [
      [1, 1, 'all'],
      [2, 1, ['F::a']],
    ],
    notOut: /FINISHED/,
  },
  {
    name: 'a dead reporter never fails the tests: local mode, the same verdict',
    suite: { 'F::a': ['failed', 'passed'] },
    calls: [['run', '--reporter', 'http://127.0.0.1:9']],
    opts: { reporter: 'dead' },
    exits: [0],
    spawned: [
      [1, 1, 'all'],
      [2, 1, ['F::a']],
    ],
    out: /unreachable/,
  },
  {
    name: 'a dead reporter does not hide a failure either',
    suite: { 'F::a': ['failed'] },
    calls: [['run', '--reporter', 'http://127.0.0.1:9', '--max-runs', '2']],
    opts: { reporter: 'dead' },
    exits: [4],
    out: /LOCAL MODE/,
    notOut: /FINISHED/,
  },
  {
    name: 'a 401 from the reporter is an answer, not an outage: exit 2 before any test runs',
    suite: pass(1),
    calls: [['run', '--reporter', 'http://127.0.0.1:9']],
    opts: { reporter: { status: 401, code: 'unauthorized' } },
    exits: [2],
    spawned: [],
    out: /unauthorized/,
  },
  {
    name: 'a 404 to a write (a wrong URL) is exit 2, never success',
    suite: pass(1),
    calls: [['run', '--reporter', 'http://127.0.0.1:9/wrong']],
    opts: { reporter: { status: 404, code: 'not_found' } },
    exits: [2],
    spawned: [],
  },
  {
    name: 'a 503 is an outage: retried within the budget, then local mode',
    suite: pass(1),
    calls: [['run', '--reporter', 'http://127.0.0.1:9']],
    opts: { reporter: { status: 503, code: 'unavailable' } },
    exits: [0],
    spawned: [[1, 1, 'all']],
  },
  {
    name: 'dozhim attempt in stages: attempt 1, then the rerun of its failure, then the decision again',
    suite: { ...pass(2), 'F::a': ['failed', 'passed'] },
    calls: [
      ['attempt', ...RUN, '--threads', '4'],
      ['attempt', ...RUN, '--threads', '4'],
      ['attempt', ...RUN, '--threads', '4'],
    ],
    exits: [1, 0, 0],
    spawned: [
      [1, 4, 'all'],
      [2, 2, ['F::a']],
    ],
  },
  {
    name: 'shard jobs then the retry job: each shard decides nothing, --rerun reruns the failures of all',
    // The fake runs the whole suite in each shard: F::a fails in both, then passes on the rerun.
    suite: { ...pass(1), 'F::a': ['failed', 'failed', 'passed'] },
    calls: [
      ['attempt', ...RUN, '--shard', '1/2', '--threads', '4'],
      ['attempt', ...RUN, '--shard', '2/2', '--threads', '4'],
      ['attempt', ...RUN, '--rerun', '--threads', '4'],
    ],
    exits: [1, 1, 0],
    spawned: [
      [1, 4, 'all'],
      [1, 4, 'all'],
      [2, 2, ['F::a']],
    ],
    out: /SHARD 1\/2 - 1 failed tests, left for the rerun job/,
  },
  {
    name: '--rerun with no attempt 1 is refused: exit 7, nothing runs',
    suite: pass(1),
    calls: [['attempt', ...RUN, '--rerun']],
    exits: [7],
    spawned: [],
    out: /nothing to rerun/,
  },
  {
    name: '--rerun with --attempt 1 is a usage error',
    suite: pass(1),
    calls: [['attempt', ...RUN, '--rerun', '--attempt', '1']],
    exits: [2],
    spawned: [],
  },
  {
    name: 'a shard of attempt 1 after the rerun ran is refused (exit 2)',
    suite: { 'F::a': ['failed', 'passed'] },
    calls: [
      ['attempt', ...RUN, '--shard', '1/1'],
      ['attempt', ...RUN, '--rerun'],
      ['attempt', ...RUN, '--shard', '1/1'],
    ],
    exits: [1, 0, 2],
    out: /already past attempt 1/,
  },
  {
    name: 'a bad --run-id is a usage error before anything runs',
    suite: pass(1),
    calls: [['run', '--run-id', 'has space']],
    exits: [2],
    spawned: [],
  },
];

describe('runLoop through fake deps (table)', () => {
  it('has at least 20 rows', () => {
    expect(rows.length).toBeGreaterThanOrEqual(20);
  });

  it.each(rows)('$name', async (row) => {
    const dir = await mkdtemp(join(tmpdir(), 'dozhim-table-'));
    const { deps, world } = makeWorld(dir, row.suite, row.opts ?? {});
    const exits: number[] = [];
    for (const args of row.calls) exits.push(await main([...args, '--', 'fake-suite'], deps));
    const out = world.stdout + world.stderr;
    expect(exits, out).toEqual(row.exits);
    if (row.spawned) {
      expect(world.spawned.map((s) => [s.attempt, s.threads, s.selected ?? 'all'])).toEqual(row.spawned);
    }
    if (row.out) expect(out).toMatch(row.out);
    if (row.notOut) expect(out).not.toMatch(row.notOut);
  });
});
