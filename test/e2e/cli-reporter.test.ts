// `dozhim run --reporter`: every attempt's results land in a real reporter (SQLite file in a temp dir),
// the legacy failing list is empty after a green run, and losing the reporter mid-run falls back to
// local mode without failing the tests.
import { describe, expect, it } from 'vitest';
import { dozhim, e2eScratch, GENERATED_SUITE, getJson, readSummary } from './helpers.js';

const { setup } = e2eScratch();

const suite = [
  '--',
  process.execPath,
  GENERATED_SUITE,
  '--junit',
  '{junit}',
  '--tests',
  '6',
  '--fail',
  '2',
  '{tests}',
];

interface RunView {
  attempts: {
    attempt: number;
    threads: number;
    exitCode: number;
    counts: { total: number; passed: number; failed: number };
  }[];
  current: { failing: string[]; flaky: string[] };
}

describe('dozhim run with the reporter', () => {
  it('uploads every attempt; /failedTests is empty at the end of a green run', async () => {
    const { s, reporter } = await setup('reporter-green');
    const runId = 'e2e/green:1';
    const proc = await dozhim(
      ['run', ...s.args(), '--reporter', reporter.url, '--run-id', runId, '--threads', '4', ...suite],
      {
        env: { SAMPLE_STATE_DIR: s.sampleState },
      },
    );
    expect(proc.code, proc.stdout + proc.stderr).toBe(0);
    expect(readSummary(s.summary).mode).not.toMatch(/local/);

    const id = encodeURIComponent(runId);
    const run = await getJson<RunView>(`${reporter.url}/api/v1/runs/${id}`);
    expect(run.attempts.map((a) => [a.attempt, a.threads, a.counts.total, a.counts.failed])).toEqual([
      [1, 4, 6, 2],
      [2, 2, 2, 0],
    ]);
    expect(run.current.failing).toEqual([]);
    expect(run.current.flaky).toEqual(['gen::t001', 'gen::t002']);
    const attempt1 = await getJson<{ data: { id: string; status: string }[] }>(
      `${reporter.url}/api/v1/runs/${id}/tests?status=all&attempt=1`,
    );
    expect(attempt1.data).toHaveLength(6);
    const attempt2 = await getJson<{ data: { id: string; status: string }[] }>(
      `${reporter.url}/api/v1/runs/${id}/tests?status=all&attempt=2`,
    );
    expect(attempt2.data.map((t) => [t.id, t.status])).toEqual([
      ['gen::t001', 'passed'],
      ['gen::t002', 'passed'],
    ]);
    expect(await getJson(`${reporter.url}/failedTests/${id}`)).toEqual({ data: [] });
  });

  it('falls back to local mode when the reporter stops mid-run, and still exits right', async () => {
    const { s, reporter } = await setup('reporter-down');
    // The reporter is killed between attempt 1 and the rerun, by the before-rerun hook.
    const proc = await dozhim(
      [
        'run',
        ...s.args(),
        '--reporter',
        reporter.url,
        '--run-id',
        'e2e-down',
        '--before-rerun',
        `kill ${reporter.pid}`,
        ...suite,
      ],
      { env: { SAMPLE_STATE_DIR: s.sampleState, DOZHIM_REPORTER_TIMEOUT: '2' }, timeoutMs: 120_000 },
    );
    const out = proc.stdout + proc.stderr;
    expect(proc.code, out).toBe(0);
    expect(out).toMatch(/local mode/i);
    const summary = readSummary(s.summary);
    expect(summary.attempts).toHaveLength(2);
    expect(summary.flaky).toEqual(['gen::t001', 'gen::t002']);
  });
});
