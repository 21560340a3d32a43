// The GitLab component end to end: real pipelines run by gitlab-ci-local (shell executor, isolated
// builds, artifacts between stages) in a temp git repo that includes templates/dozhim.yml from this
// checkout with `include: component:`, calling the real dozhim binary against a real reporter on
// 127.0.0.1 (SQLite file in a temp dir). Each pipeline includes the component several times with
// different prefixes, so the jobs run in parallel and the run ids must not collide.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseJUnit, type TestResult } from '@dozhim/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, removeDir, type Service, startReporter, tempDir } from '../e2e/helpers.js';
import {
  componentInclude,
  DOZHIM_CLI,
  EXAMPLE,
  makeProject,
  type Pipeline,
  type Project,
  ranLog,
  requireGitlabTools,
  runPipeline,
  SUITE,
} from './helpers.js';

interface RunView {
  run: { runId: string };
  attempts: { attempt: number; threads: number | null; shards: { name: string }[] }[];
  current: { failing: string[]; flaky: string[] };
}

let reporter: Service;
let reporterDir: string;
const projects: Project[] = [];

// The four pipelines run at the same time (much of gitlab-ci-local's time is waiting on rsync and
// process start-up); each describe awaits its own.
let started: Record<'single' | 'sharded' | 'outage' | 'example', Promise<Started>>;

beforeAll(async () => {
  requireGitlabTools();
  reporterDir = tempDir('gitlab-reporter');
  reporter = await startReporter(join(reporterDir, 'reporter.db'));
  started = {
    single: singlePipeline(),
    sharded: shardedPipeline(),
    outage: outagePipeline(),
    example: examplePipeline(),
  };
  // A rejected pipeline is reported by the describe that awaits it, not as an unhandled rejection.
  for (const p of Object.values(started)) p.catch(() => {});
});
afterAll(async () => {
  await reporter?.stop();
  if (reporterDir) removeDir(reporterDir);
  for (const p of projects) p.cleanup();
});

// A pipeline takes 5-30 s on two idle cores; shared and loaded (load 8 seen), several times that.
const PIPELINE_MS = 300_000;

const suiteCommand = (flags: string) =>
  `node suite.mjs --junit {junit} --threads {threads} --attempt {attempt} ${flags} {tests}`;

const ids = (results: TestResult[], pred: (r: TestResult) => boolean) =>
  results
    .filter(pred)
    .map((r) => r.id)
    .sort();

const run = (runId: string) => getJson<RunView>(`${reporter.url}/api/v1/runs/${encodeURIComponent(runId)}`);

/** Fails with the whole pipeline output, so a broken job explains itself. */
function expectJob(p: Pipeline, job: string, status: string): void {
  expect(p.jobs.get(job), `${job} in\n${p.stdout}\n${p.stderr}`).toBe(status);
}

interface Started {
  project: Project;
  pipeline: Pipeline;
}

function start(project: Project, variables: Record<string, string> = {}): Promise<Started> {
  projects.push(project);
  return runPipeline(project, { variables }).then((pipeline) => ({ project, pipeline }));
}

const sharded = (flags: string) => suiteCommand(`--shard {shardIndex}/{shardTotal} ${flags}`);

function singlePipeline(): Promise<Started> {
  const common = { cli: DOZHIM_CLI, threads: 4, reporter_url: reporter.url };
  const project = makeProject(
    'single',
    `include:\n${[
      componentInclude({
        ...common,
        job_prefix: 'flaky',
        command: suiteCommand('--tag flaky --flaky 2,5'),
      }),
      componentInclude({
        ...common,
        job_prefix: 'broken',
        command: suiteCommand('--tag broken --broken 3'),
      }),
      componentInclude({
        ...common,
        job_prefix: 'strict',
        fail_on_flaky: true,
        command: suiteCommand('--tag strict --flaky 4'),
      }),
    ].join('')}`,
  );
  return start(project);
}

function shardedPipeline(): Promise<Started> {
  const c = { mode: 'sharded', cli: DOZHIM_CLI, reporter_url: reporter.url, retry_stage: 'retry' };
  const project = makeProject(
    'sharded',
    `stages: [test, retry]\ninclude:\n${[
      // The shards run their tests one after the other: 2, then 3, then 1.
      componentInclude({
        ...c,
        job_prefix: 'sharded',
        shards: 3,
        threads: 8,
        command: sharded('--tag sharded --flaky 4,8 --order 2,3,1'),
      }),
      // t01 fails twice, t02 once: the retry job must loop (attempt 2 at 4 threads, attempt 3 at 2).
      componentInclude({
        ...c,
        job_prefix: 'loop',
        shards: 2,
        threads: 8,
        command: sharded('--tag loop --flaky-twice 1 --flaky 2'),
      }),
      componentInclude({
        ...c,
        job_prefix: 'toomany',
        shards: 2,
        threads: 8,
        max_failed: '5',
        command: sharded('--tag toomany --tests 12 --broken 1,2,3,4,5,6,7,8'),
      }),
      componentInclude({
        ...c,
        job_prefix: 'crash',
        shards: 2,
        threads: 8,
        command: sharded('--tag crash --flaky 1 --crash-shard 2'),
      }),
      // No reporter: sharded mode cannot work, and says so at once instead of running the suite.
      componentInclude({
        ...c,
        reporter_url: '',
        job_prefix: 'norep',
        shards: 2,
        command: sharded('--tag norep'),
      }),
    ].join('')}`,
  );
  return start(project);
}

/** A reporter nobody listens on (port 9, discard: refused on 127.0.0.1), retried for 1 s only. */
function outagePipeline(): Promise<Started> {
  const project = makeProject(
    'outage',
    `include:\n${componentInclude({
      mode: 'sharded',
      cli: DOZHIM_CLI,
      reporter_url: 'http://127.0.0.1:9',
      job_prefix: 'outage',
      shards: 2,
      command: sharded('--tag outage --flaky 2'),
    })}`,
  );
  return start(project, { DOZHIM_REPORTER_TIMEOUT: '1' });
}

function examplePipeline(): Promise<Started> {
  const project = makeProject('example', readFileSync(EXAMPLE, 'utf8'), {
    'test/gitlab/fixtures/suite.mjs': readFileSync(SUITE, 'utf8'),
  });
  return start(project, { DOZHIM_CLI, DOZHIM_REPORTER_URL: reporter.url });
}

describe('single mode: dozhim run in one job', () => {
  let p: Pipeline;
  let project: Project;

  beforeAll(async () => {
    ({ project, pipeline: p } = await started.single);
  }, PIPELINE_MS);

  it('passes a flaky suite after re-running only the failed tests with half the threads', async () => {
    expectJob(p, 'flaky-run', 'PASS');
    const ran = ranLog(project).filter((r) => r.tag === 'flaky');
    expect(ran.filter((r) => r.attempt === 1)).toHaveLength(9);
    expect(new Set(ran.filter((r) => r.attempt === 1).map((r) => r.threads))).toEqual(new Set([4]));
    const rerun = ran.filter((r) => r.attempt === 2);
    expect(rerun.map((r) => r.id).sort()).toEqual(['sample::t02', 'sample::t05']);
    expect(new Set(rerun.map((r) => r.threads))).toEqual(new Set([2]));
    expect(ran.some((r) => r.attempt > 2)).toBe(false);
    // Each attempt is a collapsible section of the job log.
    expect(p.log('flaky-run').some((l) => l.includes('dozhim_attempt_2'))).toBe(true);
  });

  it('publishes the merged report with the flaky tests marked, not silently green', () => {
    const report = parseJUnit(p.artifact('flaky-run', 'dozhim-report.xml'));
    expect(report.results).toHaveLength(9);
    expect(ids(report.results, (r) => r.status !== 'passed')).toEqual([]);
    expect(ids(report.results, (r) => r.retries.some((x) => x.kind === 'flakyFailure'))).toEqual([
      'sample::t02',
      'sample::t05',
    ]);
    const summary = JSON.parse(p.artifact('flaky-run', 'dozhim-summary.json'));
    expect(summary.exitCode).toBe(0);
    expect([...summary.flaky].sort()).toEqual(['sample::t02', 'sample::t05']);
  });

  it('fails the job when a test keeps failing, with the failure in the report', () => {
    expectJob(p, 'broken-run', 'FAIL');
    expect(p.exitCode('broken-run')).toBe(4);
    expect(p.log('broken-run').join('\n')).toMatch(/TERMINATED - no test passed after retry/);
    const report = parseJUnit(p.artifact('broken-run', 'dozhim-report.xml'));
    expect(ids(report.results, (r) => r.status === 'failed')).toEqual(['sample::t03']);
  });

  it('with fail_on_flaky, a flaky pass ends "passed with warnings" (exit 6 allowed), never plain green', () => {
    expectJob(p, 'strict-run', 'WARN');
    expect(p.exitCode('strict-run')).toBe(6);
    expect(JSON.parse(p.artifact('strict-run', 'dozhim-summary.json')).exitCode).toBe(6);
  });

  it('gives each include its own run id in the reporter: <pipeline id>-<job prefix>', async () => {
    const flaky = await run('1000-flaky');
    expect(flaky.attempts.map((a) => [a.attempt, a.threads])).toEqual([
      [1, 4],
      [2, 2],
    ]);
    expect(flaky.current.flaky.sort()).toEqual(['sample::t02', 'sample::t05']);
    expect((await run('1000-broken')).current.failing).toEqual(['sample::t03']);
    expect((await run('1000-strict')).current.flaky).toEqual(['sample::t04']);
  });

  it(
    'a GitLab "Retry" of the job (same pipeline id) starts a new try instead of mixing with the first',
    async () => {
      const before = ranLog(project).length;
      const retried = await runPipeline(project, { jobs: ['flaky-run'] });
      expectJob(retried, 'flaky-run', 'PASS');
      expect(retried.log('flaky-run').join('\n')).toMatch(/run id 1000-flaky/);
      // The new try ran the whole suite again as its attempt 1 (the flaky tests pass now)...
      const again = ranLog(project).slice(before);
      expect(again.map((r) => `${r.tag} ${r.attempt}`)).toEqual(Array(9).fill('flaky 1'));
      // ...and the reporter shows that try only, not a third attempt appended to the first try.
      const view = await run('1000-flaky');
      expect(view.attempts.map((a) => [a.attempt, a.threads])).toEqual([[1, 4]]);
    },
    PIPELINE_MS,
  );
});

describe('sharded mode: parallel shard jobs for attempt 1, one retry job for the reruns', () => {
  let p: Pipeline;
  let project: Project;
  beforeAll(async () => {
    ({ project, pipeline: p } = await started.sharded);
  }, PIPELINE_MS);

  it('runs each shard share once as attempt 1; shards with failures are allowed to fail, not green', () => {
    expectJob(p, 'sharded-shard: [1/3]', 'WARN');
    expectJob(p, 'sharded-shard: [2/3]', 'WARN');
    expectJob(p, 'sharded-shard: [3/3]', 'PASS');
    expect([1, 2, 3].map((k) => p.exitCode(`sharded-shard: [${k}/3]`))).toEqual([1, 1, 0]);
    const first = ranLog(project).filter((r) => r.tag === 'sharded' && r.attempt === 1);
    expect(first.map((r) => `${r.shard} ${r.id}`).sort()).toEqual([
      '1/3 sample::t01',
      '1/3 sample::t04',
      '1/3 sample::t07',
      '2/3 sample::t02',
      '2/3 sample::t05',
      '2/3 sample::t08',
      '3/3 sample::t03',
      '3/3 sample::t06',
      '3/3 sample::t09',
    ]);
    expect(new Set(first.map((r) => r.threads))).toEqual(new Set([8]));
  });

  it('the shards finish at different times and the retry job starts after the last of them', () => {
    // ran.log is appended in execution order.
    const order = ranLog(project)
      .filter((r) => r.tag === 'sharded')
      .map((r) => (r.attempt === 1 ? r.shard : `attempt ${r.attempt}`));
    const lastOf = (x: string) => order.lastIndexOf(x);
    expect(lastOf('2/3')).toBeLessThan(order.indexOf('3/3'));
    expect(lastOf('3/3')).toBeLessThan(order.indexOf('1/3'));
    expect(order.indexOf('attempt 2')).toBeGreaterThan(lastOf('1/3'));
  });

  it('the retry job re-runs exactly the failed tests of all shards, with half the threads, and passes', () => {
    expectJob(p, 'sharded-retry', 'PASS');
    const ran = ranLog(project).filter((r) => r.tag === 'sharded' && r.attempt > 1);
    expect(ran.map((r) => `${r.attempt} ${r.threads} ${r.id}`).sort()).toEqual([
      '2 4 sample::t04',
      '2 4 sample::t08',
    ]);
  });

  it('publishes the merged report of the whole run, flaky tests marked', () => {
    const report = parseJUnit(p.artifact('sharded-retry', 'dozhim-report.xml'));
    expect(report.results.map((r) => r.id).sort()).toEqual(
      Array.from({ length: 9 }, (_, i) => `sample::t0${i + 1}`),
    );
    expect(ids(report.results, (r) => r.status !== 'passed')).toEqual([]);
    expect(ids(report.results, (r) => r.retries.some((x) => x.kind === 'flakyFailure'))).toEqual([
      'sample::t04',
      'sample::t08',
    ]);
  });

  it('the reporter holds one run: attempt 1 with shards 1-3, attempt 2 with the reruns', async () => {
    const view = await run('1000-sharded');
    expect(view.attempts.map((a) => a.attempt)).toEqual([1, 2]);
    expect(view.attempts[0]!.shards.map((s) => s.name).sort()).toEqual(['1/3', '2/3', '3/3']);
    expect(view.attempts[0]!.threads).toBe(8);
    expect(view.attempts[1]!.threads).toBe(4);
    expect(view.current.failing).toEqual([]);
    expect(view.current.flaky.sort()).toEqual(['sample::t04', 'sample::t08']);
  });

  it('the retry job loops while dozhim says retry: attempt 3 with 2 threads, then green with both flaky', () => {
    expectJob(p, 'loop-retry', 'PASS');
    const reruns = ranLog(project).filter((r) => r.tag === 'loop' && r.attempt > 1);
    expect(reruns.map((r) => `${r.attempt} ${r.threads} ${r.id}`).sort()).toEqual([
      '2 4 sample::t01',
      '2 4 sample::t02',
      '3 2 sample::t01',
    ]);
    const report = parseJUnit(p.artifact('loop-retry', 'dozhim-report.xml'));
    expect(ids(report.results, (r) => r.status !== 'passed')).toEqual([]);
    expect(ids(report.results, (r) => r.retries.some((x) => x.kind === 'flakyFailure'))).toEqual([
      'sample::t01',
      'sample::t02',
    ]);
  });

  it('more failures than max_failed: the retry job reruns nothing, prints TERMINATED and fails', () => {
    expectJob(p, 'toomany-retry', 'FAIL');
    expect(p.exitCode('toomany-retry')).toBe(3);
    expect(p.log('toomany-retry').join('\n')).toMatch(/TERMINATED - too many failed tests: 8 > 5/);
    expect(ranLog(project).filter((r) => r.tag === 'toomany' && r.attempt > 1)).toEqual([]);
    const report = parseJUnit(p.artifact('toomany-retry', 'dozhim-report.xml'));
    expect(ids(report.results, (r) => r.status === 'failed')).toHaveLength(8);
  });

  it('a crashed shard fails its job for real, and the retry job fails instead of passing the rest', () => {
    expectJob(p, 'crash-shard: [1/2]', 'WARN');
    expectJob(p, 'crash-shard: [2/2]', 'FAIL');
    expect(p.exitCode('crash-shard: [2/2]')).toBe(7);
    expectJob(p, 'crash-retry', 'FAIL');
    expect(p.exitCode('crash-retry')).toBe(7);
    expect(p.log('crash-retry').join('\n')).toMatch(/missing: 2\/2/);
    // Shard 1's flaky test was not re-run into a green verdict while shard 2's tests are unknown.
    expect(ranLog(project).filter((r) => r.tag === 'crash' && r.attempt > 1)).toEqual([]);
  });

  it('without a reporter every sharded job fails with exit 2 and says why; no test runs', () => {
    for (const job of ['norep-shard: [1/2]', 'norep-shard: [2/2]', 'norep-retry']) {
      expectJob(p, job, 'FAIL');
      expect(p.exitCode(job), job).toBe(2);
      expect(p.log(job).join('\n'), job).toMatch(/sharded mode needs a reporter/);
    }
    expect(ranLog(project).filter((r) => r.tag === 'norep')).toEqual([]);
  });

  it(
    'a GitLab "Retry" of the retry job prints the verdict again; a retried shard cannot change it',
    async () => {
      const before = ranLog(project).length;
      const retried = await runPipeline(project, {
        jobs: ['sharded-shard', 'sharded-retry', 'toomany-retry'],
      });
      // The run is past attempt 1: a shard job retried now is refused (usage, exit 2), nothing runs.
      for (const k of [1, 2, 3]) {
        expectJob(retried, `sharded-shard: [${k}/3]`, 'FAIL');
        expect(retried.exitCode(`sharded-shard: [${k}/3]`)).toBe(2);
      }
      expect(retried.log('sharded-shard: [1/3]').join('\n')).toMatch(/already past attempt 1/);
      // The retry jobs run no test again and keep their verdicts: FINISHED (0), TERMINATED (3).
      expect(ranLog(project).slice(before)).toEqual([]);
      expectJob(retried, 'sharded-retry', 'PASS');
      expect(retried.exitCode('toomany-retry')).toBe(3);
      expect((await run('1000-sharded')).attempts.map((a) => a.attempt)).toEqual([1, 2]);
      const report = parseJUnit(retried.artifact('sharded-retry', 'dozhim-report.xml'));
      expect(ids(report.results, (r) => r.retries.some((x) => x.kind === 'flakyFailure'))).toEqual([
        'sample::t04',
        'sample::t08',
      ]);
    },
    PIPELINE_MS,
  );
});

describe('sharded mode with the reporter unreachable', () => {
  it(
    'fails every job with exit 7 and says why, even the shard whose tests passed: never green',
    async () => {
      const { project, pipeline: p } = await started.outage;
      for (const job of ['outage-shard: [1/2]', 'outage-shard: [2/2]', 'outage-retry']) {
        expectJob(p, job, 'FAIL');
        expect(p.exitCode(job), job).toBe(7);
      }
      expect(p.log('outage-shard: [1/2]').join('\n')).toMatch(/did not reach the reporter/);
      expect(p.log('outage-retry').join('\n')).toMatch(/nothing to rerun/);
      // The shards did run their tests (locally); nothing was rerun from those unseen results.
      expect(ranLog(project).filter((r) => r.attempt === 1)).toHaveLength(9);
      expect(ranLog(project).filter((r) => r.attempt > 1)).toEqual([]);
    },
    PIPELINE_MS,
  );
});

describe('the example pipeline (examples/gitlab/.gitlab-ci.yml)', () => {
  it(
    'runs as committed, both modes, with only the CLI and the reporter given as pipeline variables',
    async () => {
      const { pipeline: p } = await started.example;
      expectJob(p, 'e2e-run', 'PASS');
      expectJob(p, 'e2e-sharded-retry', 'PASS');
      const flaky = (job: string) =>
        ids(parseJUnit(p.artifact(job, 'dozhim-report.xml')).results, (r) =>
          r.retries.some((x) => x.kind === 'flakyFailure'),
        );
      expect(flaky('e2e-run')).toEqual(['sample::t02', 'sample::t05']);
      expect(flaky('e2e-sharded-retry')).toEqual(['sample::t04', 'sample::t08']);
      expect((await run('1000-e2e-sharded')).attempts[0]!.shards).toHaveLength(3);
    },
    PIPELINE_MS,
  );
});
