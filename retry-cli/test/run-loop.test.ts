import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decide, type TestResult } from '@dozhim/core';
import { describe, expect, it } from 'vitest';
import { infrastructureProblem, NO_RESULT_MESSAGE, rerunResults } from '../src/loop/execute-attempt.js';
import type { ProcessResult } from '../src/loop/process-runner.js';
import { nextPlan, testRefs } from '../src/loop/run-loop.js';
import { LocalState } from '../src/store/local-state.js';

const result = (
  classname: string,
  name: string,
  status: TestResult['status'],
  file?: string,
): TestResult => ({
  id: `${classname}::${name}`,
  suite: 'S',
  classname,
  name,
  ...(file ? { file } : {}),
  status,
  durationMs: 5,
  properties: {},
  retries: [],
});

const meta = {};

describe('rerun selection', () => {
  it('plans the next attempt from the decision: failing tests with what adapters need to select them', () => {
    const attempts = [
      {
        number: 1,
        threads: 8,
        results: [
          result('pkg.A', 'ok', 'passed'),
          result('pkg.A', 'x [p-1]', 'failed', 'pkg/a.py'),
          result('B', 'y', 'error'),
        ],
        meta,
      },
    ];
    const decision = decide(attempts);
    const plan = nextPlan(attempts, decision);
    expect(plan.attempt).toBe(2);
    expect(plan.threads).toBe(4);
    expect(plan.selection).toEqual([
      { id: 'B::y', suite: 'S', classname: 'B', name: 'y' },
      { id: 'pkg.A::x [p-1]', suite: 'S', classname: 'pkg.A', name: 'x [p-1]', file: 'pkg/a.py' },
    ]);
    expect(testRefs(attempts, ['unknown::t'])).toEqual([
      { id: 'unknown::t', suite: '', classname: '', name: 'unknown::t' },
    ]);
  });

  it('keeps only the selected tests of a rerun and fails the selected ones without a result', () => {
    const selection = testRefs(
      [{ number: 1, results: [result('A', 'a', 'failed'), result('A', 'b', 'failed')], meta }],
      ['A::a', 'A::b'],
    );
    // jest/vitest list filtered-out tests as skipped: those must not overwrite earlier results.
    const reported = [result('A', 'a', 'passed'), result('A', 'other', 'skipped')];
    const { results, missing } = rerunResults(reported, selection);
    expect(missing).toEqual(['A::b']);
    expect(results.map((r) => [r.id, r.status, r.message])).toEqual([
      ['A::a', 'passed', undefined],
      ['A::b', 'failed', NO_RESULT_MESSAGE],
    ]);
  });
});

describe('local state', () => {
  it('stores attempts per shard and loads them merged, oldest first', async () => {
    const state = new LocalState(await mkdtemp(join(tmpdir(), 'dozhim-state-')));
    const run = 'team/pipe:9';
    await state.saveResults(run, 2, 'default', [result('A', 'a', 'passed')]);
    await state.patchAttempt(run, 2, { threads: 2, selected: ['A::a'] });
    await state.saveResults(run, 1, 'shard-1', [result('A', 'a', 'failed')]);
    await state.saveResults(run, 1, 'shard 2', [result('B', 'b', 'passed')]);
    await state.patchAttempt(run, 1, { threads: 4 });
    await state.patchAttempt(run, 1, { exitCode: 1 });
    // Re-uploading a shard replaces it.
    await state.saveResults(run, 1, 'shard 2', [result('B', 'b', 'passed'), result('B', 'c', 'passed')]);
    await state.patchAttempt(run, 3, { threads: 1 }); // started, never produced results: not an attempt

    const attempts = await state.loadAttempts(run);
    expect(attempts.map((a) => [a.number, a.threads, a.results.map((r) => r.id)])).toEqual([
      [1, 4, ['A::a', 'B::b', 'B::c']],
      [2, 2, ['A::a']],
    ]);
    expect(attempts[0]!.meta).toEqual({ threads: 4, exitCode: 1 });
    expect(attempts[1]!.selected).toEqual(['A::a']);
    expect(await state.loadAttempts('never-ran')).toEqual([]);
  });
});

describe('infrastructure guards (exit 7, never retried)', () => {
  const ok: ProcessResult = { exitCode: 1, signal: null, timedOut: false, durationMs: 10 };
  const guard = (result: Partial<ProcessResult>, reportFiles: string[] = ['/r.xml']) =>
    infrastructureProblem({
      result: { ...ok, ...result },
      reportFiles,
      unreadable: [],
      command: ['pytest', '-x'],
      lookedAt: 'at /r.xml',
      timeoutMs: 5000,
    });

  it('accepts a failing command that wrote a report', () => {
    expect(guard({})).toBeUndefined();
    expect(guard({ exitCode: 0 })).toBeUndefined();
  });

  it('names the reason otherwise', () => {
    const enoent = Object.assign(new Error('spawn pytest ENOENT'), { code: 'ENOENT' });
    expect(guard({ exitCode: null, spawnError: enoent }, [])).toBe('command not found: pytest');
    expect(guard({ exitCode: 127 }, [])).toBe('command not found: pytest');
    const e2big = Object.assign(new Error('spawn E2BIG'), { code: 'E2BIG' });
    expect(guard({ exitCode: null, spawnError: e2big }, [])).toMatch(
      /too long for the OS.*DOZHIM_TESTS_FILE/,
    );
    expect(guard({ exitCode: null, signal: 'SIGSEGV' })).toBe('the test command crashed: killed by SIGSEGV');
    expect(guard({ exitCode: null, signal: 'SIGKILL', timedOut: true })).toMatch(/timed out after 5000ms/);
    expect(guard({ exitCode: 2 }, [])).toBe(
      'the test command exited with code 2 and produced no usable JUnit report at /r.xml',
    );
    expect(guard({ exitCode: 0 }, [])).toMatch(/exited with code 0 and produced no usable JUnit report/);
    expect(
      infrastructureProblem({
        result: { ...ok, exitCode: 127 },
        reportFiles: [],
        unreadable: [],
        command: ['npx jest --ci'],
        lookedAt: '',
      }),
    ).toBe('command not found: npx');
  });
});
