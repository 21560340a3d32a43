// `dozhim run` stopping rules and exit codes, on a generated generic suite (cheap, so attempts and
// failure counts can be chosen freely): too many failures, no progress, unhealthy environment,
// infrastructure errors, and SIGTERM in the middle of a rerun.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJUnitFile } from '@dozhim/core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  dozhim,
  GENERATED_SUITE,
  ranLog,
  readSummary,
  removeDir,
  requireBuilt,
  scratchRun,
} from './helpers.js';

const dirs: string[] = [];
beforeAll(requireBuilt);
afterEach(() => {
  for (const d of dirs.splice(0)) removeDir(d);
});

function scratch(prefix: string) {
  const s = scratchRun(prefix);
  dirs.push(s.root);
  return s;
}

/** The generated suite as a generic command: dozhim gives it the report path and the rerun ids. */
const suite = (...opts: string[]): string[] => [
  process.execPath,
  GENERATED_SUITE,
  '--junit',
  '{junit}',
  ...opts,
  '{tests}',
];

const attemptHeaders = (out: string): number => out.match(/attempt \d+\/\d+/g)?.length ?? 0;

describe('too many failures (--max-failed)', () => {
  it('41 failures > 40: exit 3 after attempt 1, with the TERMINATED line', async () => {
    const s = scratch('max-failed-41');
    const proc = await dozhim(
      ['run', ...s.args(), '--max-failed', '40', '--', ...suite('--tests', '60', '--fail', '41')],
      {
        env: { SAMPLE_STATE_DIR: s.sampleState },
      },
    );
    expect(proc.code, proc.stdout + proc.stderr).toBe(3);
    expect(proc.stdout).toContain('TERMINATED - too many failed tests: 41 > 40');
    expect(readSummary(s.summary).attempts).toHaveLength(1);
    expect(ranLog(s.sampleState)).toHaveLength(60);
  });

  it('40 failures: reruns exactly those 40, which pass, exit 0', async () => {
    const s = scratch('max-failed-40');
    const proc = await dozhim(
      ['run', ...s.args(), '--max-failed', '40', '--', ...suite('--tests', '60', '--fail', '40')],
      {
        env: { SAMPLE_STATE_DIR: s.sampleState },
      },
    );
    expect(proc.code, proc.stdout + proc.stderr).toBe(0);
    const summary = readSummary(s.summary);
    expect(summary.attempts.map((a) => [a.total, a.failed])).toEqual([
      [60, 40],
      [40, 0],
    ]);
    expect(ranLog(s.sampleState)).toHaveLength(100);
    expect(summary.flaky).toHaveLength(40);
  });
});

describe('no progress', () => {
  it('the same tests failing again: exit 4 after attempt 2', async () => {
    const s = scratch('no-progress');
    const proc = await dozhim(
      ['run', ...s.args(), '--max-runs', '5', '--', ...suite('--tests', '5', '--fail', '2', '--persistent')],
      {
        env: { SAMPLE_STATE_DIR: s.sampleState },
      },
    );
    expect(proc.code, proc.stdout + proc.stderr).toBe(4);
    expect(proc.stdout).toContain('TERMINATED - no test passed after retry');
    const summary = readSummary(s.summary);
    expect(summary.attempts).toHaveLength(2);
    expect(summary.failing).toEqual(['gen::t001', 'gen::t002']);
    // The merged report says the truth: still failing, not flaky.
    const merged = await readJUnitFile(s.report);
    expect(merged.counts.failed).toBe(2);
  });

  it('runs spent with tests still failing: exit 1', async () => {
    const s = scratch('runs-spent');
    const proc = await dozhim(
      [
        'run',
        ...s.args(),
        '--max-runs',
        '2',
        '--no-stop-on-no-progress',
        '--',
        ...suite('--tests', '3', '--fail', '1', '--persistent'),
      ],
      { env: { SAMPLE_STATE_DIR: s.sampleState } },
    );
    expect(proc.code, proc.stdout + proc.stderr).toBe(1);
    expect(readSummary(s.summary).attempts).toHaveLength(2);
  });
});

describe('environment health', () => {
  it('a failing --health-check stops with exit 5 instead of burning a rerun', async () => {
    const s = scratch('health');
    const marker = join(s.root, 'health-checked');
    const proc = await dozhim(
      [
        'run',
        ...s.args(),
        '--health-check',
        `echo checked >> '${marker}'; exit 1`,
        '--health-timeout',
        '1',
        '--',
        ...suite('--tests', '4', '--fail', '1'),
      ],
      { env: { SAMPLE_STATE_DIR: s.sampleState } },
    );
    expect(proc.code, proc.stdout + proc.stderr).toBe(5);
    expect(proc.stdout).toMatch(/environment unhealthy/i);
    expect(existsSync(marker)).toBe(true);
    expect(readSummary(s.summary).attempts).toHaveLength(1);
    expect(ranLog(s.sampleState)).toHaveLength(4);
  });
});

describe('infrastructure errors (exit 7, never retried)', () => {
  it('command not found', async () => {
    const s = scratch('not-found');
    const proc = await dozhim([
      'run',
      ...s.args(),
      '--',
      join(s.root, 'no-such-test-runner'),
      '--junit',
      '{junit}',
    ]);
    expect(proc.code, proc.stdout + proc.stderr).toBe(7);
    expect(attemptHeaders(proc.stdout)).toBeLessThanOrEqual(1);
    expect(proc.stdout + proc.stderr).toMatch(/not found|ENOENT/i);
  });

  it('a crash before any report', async () => {
    const s = scratch('crash');
    const proc = await dozhim(['run', ...s.args(), '--', ...suite('--crash')], {
      env: { SAMPLE_STATE_DIR: s.sampleState },
    });
    expect(proc.code, proc.stdout + proc.stderr).toBe(7);
    expect(attemptHeaders(proc.stdout)).toBe(1);
    expect(proc.stdout).not.toMatch(/attempt 2\//);
  });
});

describe('interrupted by SIGTERM during attempt 2', () => {
  it('ends the child process group, writes the partial report, exits 143', async () => {
    const s = scratch('sigterm');
    const pidFile = join(s.root, 'pids');
    const proc = await dozhim(
      [
        'run',
        ...s.args(),
        '--',
        ...suite(
          '--tests',
          '3',
          '--fail',
          '1',
          '--attempt',
          '{attempt}',
          '--hang-on-attempt',
          '2',
          '--pid-file',
          pidFile,
        ),
      ],
      {
        env: { SAMPLE_STATE_DIR: s.sampleState },
        onStdout: (chunk, child) => {
          if (chunk.includes('generated-suite: hanging in attempt 2')) child.kill('SIGTERM');
        },
      },
    );
    expect(proc.signal, 'dozhim must exit by itself, not die of the signal').toBeNull();
    expect(proc.code, proc.stdout + proc.stderr).toBe(143);
    const pids = readFileSync(pidFile, 'utf8').trim().split(' ').map(Number);
    for (const pid of pids) expect(isAlive(pid), `pid ${pid} of the test command is still alive`).toBe(false);
    // The partial report holds what is known: attempt 1's results.
    const merged = await readJUnitFile(s.report);
    expect(merged.results.map((r) => r.id).sort()).toEqual(['gen::t001', 'gen::t002', 'gen::t003']);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
