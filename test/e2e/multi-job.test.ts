// Multi-job pipelines through the real reporter and the real `dozhim` binary: shard jobs that start in
// any order (one only after another finished, one too late), a rerun job over all shards, a retried
// job reusing its run id, and the reporter's "no" (4xx) told apart from an outage.
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { parseJUnit } from '@dozhim/core';
import { describe, expect, it } from 'vitest';
import { sampleAttempt, sampleRun } from '../../core/test/wire-samples.js';
import {
  dozhim,
  e2eScratch,
  GENERATED_SUITE,
  getJson,
  type Proc,
  ranLog,
  removeDir,
  scratchRun,
  tempDir,
} from './helpers.js';

const { cleanups, setup } = e2eScratch();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const out = (p: Proc) => `exit ${p.code}\n${p.stdout}\n${p.stderr}`;

interface RunView {
  run: { try: number };
  attempts: { attempt: number; threads: number; shardTotal: number | null; shards: { name: string }[] }[];
  current: { failing: string[]; flaky: string[] };
}

describe('a sharded pipeline: 3 shard jobs and one rerun job', () => {
  it('each test runs once in attempt 1, the rerun runs exactly the failing tests of all shards', async () => {
    const { s, reporter } = await setup('sharded');
    const runId = 'pipeline/4711';
    // 9 tests, t001 and t002 fail on their first run: t001 is in shard 1, t002 in shard 2, shard 3 passes.
    const suite = [
      '--',
      process.execPath,
      GENERATED_SUITE,
      '--junit',
      '{junit}',
      '--tests',
      '9',
      '--fail',
      '2',
    ];
    const job = (name: string, args: string[]) =>
      dozhim(
        [
          'attempt',
          '--run-id',
          runId,
          '--reporter',
          reporter.url,
          '--state-dir',
          join(s.root, `job-${name}`),
          '--json',
          ...args,
        ],
        { env: { SAMPLE_STATE_DIR: s.sampleState } },
      );
    const shard = (k: number) =>
      job(`shard-${k}`, [
        '--shard',
        `${k}/3`,
        '--threads',
        '8',
        ...suite,
        '--shard',
        '{shardIndex}/{shardTotal}',
      ]);
    const rerun = () => job('rerun', ['--rerun', '--threads', '8', ...suite, '{tests}']);

    // The wrong order first: a rerun job that starts before any shard reported is refused.
    const early = await rerun();
    expect(early.code, out(early)).toBe(7);
    expect(early.stderr).toContain('nothing to rerun');

    const first = await shard(1);
    expect(first.code, out(first)).toBe(1);
    expect(JSON.parse(first.stdout)).toMatchObject({
      attempt: 1,
      decision: null,
      counts: { total: 3, failed: 1 },
    });
    expect(first.stderr).toContain('SHARD 1/3 - 1 failed tests, left for the rerun job');

    // A shard is still missing: the rerun job must not decide on 2 of 3 shards.
    const tooSoon = await rerun();
    expect(tooSoon.code, out(tooSoon)).toBe(7);
    expect(tooSoon.stderr).toMatch(/2 have not reported \(missing: 2\/3, 3\/3\)/);

    // Shards 2 and 3 start after shard 1 finished, at random moments, in parallel.
    const [second, third] = await Promise.all(
      [2, 3].map(async (k) => {
        await sleep(Math.floor(Math.random() * 300));
        return shard(k);
      }),
    );
    expect(second!.code, out(second!)).toBe(1);
    expect(third!.code, out(third!)).toBe(0);
    expect(third!.stderr).toContain('SHARD 3/3 - all 3 tests passed');
    const afterShards = ranLog(s.sampleState);
    expect(afterShards.sort()).toEqual(Array.from({ length: 9 }, (_, i) => `gen::t00${i + 1}`));

    const view = await getJson<RunView>(`${reporter.url}/api/v1/runs/${encodeURIComponent(runId)}`);
    expect(view.attempts).toHaveLength(1);
    expect(view.attempts[0]!.shardTotal).toBe(3);
    expect(view.attempts[0]!.shards.map((x) => x.name)).toEqual(['1/3', '2/3', '3/3']);
    expect(view.current.failing).toEqual(['gen::t001', 'gen::t002']);

    const retried = await rerun();
    expect(retried.code, out(retried)).toBe(0);
    const report = JSON.parse(retried.stdout);
    expect(report).toMatchObject({ attempt: 2, threads: 4, selected: 2, flaky: ['gen::t001', 'gen::t002'] });
    expect(ranLog(s.sampleState).slice(afterShards.length).sort()).toEqual(['gen::t001', 'gen::t002']);

    // A shard job retried after the rerun cannot change attempt 1 any more.
    const late = await shard(3);
    expect(late.code, out(late)).toBe(2);
    expect(late.stderr).toContain('is already past attempt 1');

    const merged = join(s.root, 'merged.xml');
    const rep = await dozhim(['report', '--run-id', runId, '--reporter', reporter.url, '-o', merged]);
    expect(rep.code, out(rep)).toBe(0);
    const results = parseJUnit(await readFile(merged, 'utf8')).results;
    expect(results.map((r) => r.id).sort()).toEqual(afterShards.sort());
    expect(results.filter((r) => r.retries.length > 0).map((r) => r.id)).toEqual(['gen::t001', 'gen::t002']);
    expect(results.every((r) => r.status === 'passed')).toBe(true);
  });
});

describe('a retried job that reuses its run id (GitLab "Retry" keeps CI_PIPELINE_ID)', () => {
  it('starts a new try: the verdict and the report are the latest try only', async () => {
    const { s, reporter } = await setup('tries');
    const env = { SAMPLE_STATE_DIR: s.sampleState, CI_PIPELINE_ID: '815' };
    const runJob = (extra: string[]) =>
      dozhim(
        [
          'run',
          ...s.args(),
          '--reporter',
          reporter.url,
          '--max-runs',
          '2',
          '--',
          process.execPath,
          GENERATED_SUITE,
          '--junit',
          '{junit}',
          '--tests',
          '4',
          ...extra,
          '{tests}',
        ],
        { env },
      );
    // Try 1: t001 fails for good.
    const one = await runJob(['--fail', '1', '--persistent']);
    expect(one.code, out(one)).toBe(4);
    // Try 2 (the job retried after a fix of the stand): everything passes at once.
    const two = await runJob(['--fail', '0']);
    expect(two.code, out(two)).toBe(0);
    expect(two.stderr).toContain('already had 2 attempt(s)');
    const decide = await dozhim(['decide', '--reporter', reporter.url, '--json'], { env });
    expect(decide.code, out(decide)).toBe(0);
    // The input that would fool it: try 1's failure must not make try 2's t001 "flaky" either.
    expect(JSON.parse(decide.stdout)).toMatchObject({ reason: 'all-passed', outcome: 'passed', flaky: [] });
    const view = await getJson<RunView>(`${reporter.url}/api/v1/runs/815`);
    expect(view.run.try).toBe(2);
    expect(view.attempts.map((a) => a.attempt)).toEqual([1]);
    const merged = parseJUnit(await readFile(s.report, 'utf8')).results;
    expect(merged.map((r) => [r.id, r.status, r.retries.length])).toEqual(
      ['gen::t001', 'gen::t002', 'gen::t003', 'gen::t004'].map((id) => [id, 'passed', 0]),
    );
    // Locally the earlier try is kept as history beside the run's directory.
    expect(readdirSync(s.dozhimState).some((d) => d.startsWith('815#try-'))).toBe(true);
  });
});

describe("the reporter's no is not an outage", () => {
  for (const [status, code] of [
    [400, 'validation_failed'],
    [401, 'unauthorized'],
    [403, 'forbidden'],
    [409, 'attempt_closed'],
    [413, 'batch_too_large'],
  ] as const) {
    it(`a ${status} to the upload fails with exit 2 and the message; the results stay in local state`, async () => {
      const stub = createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          const upload = req.method === 'POST' && req.url?.includes('/results');
          // Every other answer is a valid one of the wire contract (@dozhim/core/wire), which dozhim parses.
          const body = upload
            ? { error: { code, message: `stub says ${code}` } }
            : req.method === 'POST'
              ? { run: sampleRun(), superseded: 0 }
              : req.method === 'GET'
                ? { error: { code: 'run_not_found', message: 'no' } }
                : req.method === 'PATCH'
                  ? sampleAttempt()
                  : sampleRun();
          res
            .writeHead(upload ? status : req.method === 'GET' ? 404 : 200, {
              'content-type': 'application/json',
            })
            .end(JSON.stringify(body));
        });
      });
      await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
      cleanups.push(() => new Promise<void>((r) => stub.close(() => r())));
      const s = scratchRun(`no-${status}`);
      cleanups.push(() => removeDir(s.root));
      const url = `http://127.0.0.1:${(stub.address() as { port: number }).port}`;
      const r = await dozhim(
        [
          'run',
          ...s.args(),
          '--run-id',
          'r1',
          '--reporter',
          url,
          '--',
          process.execPath,
          GENERATED_SUITE,
          '--junit',
          '{junit}',
        ],
        { env: { SAMPLE_STATE_DIR: s.sampleState } },
      );
      expect(r.code, out(r)).toBe(2);
      expect(r.stderr).toContain(`the reporter refused to upload attempt 1 (${code})`);
      expect(r.stderr).toContain(`stub says ${code}`);
      expect(r.stderr).not.toContain('LOCAL MODE');
      expect(existsSync(join(s.dozhimState, 'r1', 'attempt-1', 'results-default.json'))).toBe(true);
    });
  }
});

describe('queries never answer "nothing failed" by accident', () => {
  it('an unknown run is exit 2, an unreachable reporter exit 7, for failed, decide and report', async () => {
    const { s, reporter } = await setup('queries');
    for (const cmd of [['failed'], ['decide', '--json'], ['report', '-o', join(s.root, 'r.xml')]]) {
      const unknown = await dozhim([...cmd, '--run-id', 'never-ran', '--reporter', reporter.url]);
      expect(unknown.code, out(unknown)).toBe(2);
      expect(unknown.stdout).toBe('');
      expect(unknown.stderr).toContain('run never-ran has no recorded attempts');
      const down = await dozhim([...cmd, '--run-id', 'x', '--reporter', 'http://127.0.0.1:9'], {
        env: { DOZHIM_REPORTER_TIMEOUT: '0.5' },
      });
      expect(down.code, out(down)).toBe(7);
      expect(down.stdout).toBe('');
      expect(down.stderr).toMatch(/cannot load the run: reporter http:\/\/127\.0\.0\.1:9 unreachable/);
    }
  });

  it('DOZHIM_RUN_ID is validated like --run-id; upload of a missing file is a usage error', async () => {
    const dir = tempDir('usage');
    cleanups.push(() => removeDir(dir));
    const bad = await dozhim(['failed', '--state-dir', dir], { env: { DOZHIM_RUN_ID: 'a b;rm' } });
    expect(bad.code, out(bad)).toBe(2);
    expect(bad.stderr).toContain('DOZHIM_RUN_ID "a b;rm": run ids are');
    const missing = await dozhim([
      'upload',
      '--run-id',
      'u',
      '--attempt',
      '1',
      '--state-dir',
      dir,
      join(dir, 'nope.xml'),
    ]);
    expect(missing.code, out(missing)).toBe(2);
    expect(missing.stderr).toContain('no such file');
  });
});
