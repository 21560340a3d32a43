// The GitLab component end to end: real pipelines run by gitlab-ci-local (shell executor, isolated
// builds, artifacts between stages) in a temp git repo that includes templates/dozhim.yml from this
// checkout with `include: component:`, calling the real dozhim binary against a real reporter on
// 127.0.0.1 (SQLite file in a temp dir). Each pipeline includes the component several times with
// different prefixes, so the jobs run in parallel and the run ids must not collide.
import { join } from 'node:path';
import { parseJUnit, type TestResult } from '@dozhim/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, removeDir, type Service, startReporter, tempDir } from '../e2e/helpers.js';
import {
  componentInclude,
  DOZHIM_CLI,
  makeProject,
  type Pipeline,
  type Project,
  ranLog,
  requireGitlabTools,
  runPipeline,
} from './helpers.js';

interface RunView {
  run: { runId: string };
  attempts: { attempt: number; threads: number | null; shards: { name: string }[] }[];
  current: { failing: string[]; flaky: string[] };
}

let reporter: Service;
let reporterDir: string;
const projects: Project[] = [];

beforeAll(async () => {
  requireGitlabTools();
  reporterDir = tempDir('gitlab-reporter');
  reporter = await startReporter(join(reporterDir, 'reporter.db'));
});
afterAll(async () => {
  await reporter?.stop();
  if (reporterDir) removeDir(reporterDir);
  for (const p of projects) p.cleanup();
});

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

describe('single mode: dozhim run in one job', () => {
  let p: Pipeline;
  let project: Project;

  beforeAll(async () => {
    const common = { cli: DOZHIM_CLI, threads: 4, reporter_url: reporter.url };
    project = makeProject(
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
    projects.push(project);
    p = await runPipeline(project);
  });

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
    expect(p.log('broken-run').join('\n')).toMatch(/TERMINATED - no test passed after retry/);
    const report = parseJUnit(p.artifact('broken-run', 'dozhim-report.xml'));
    expect(ids(report.results, (r) => r.status === 'failed')).toEqual(['sample::t03']);
  });

  it('with fail_on_flaky, a flaky pass ends "passed with warnings" (exit 6 allowed), never plain green', () => {
    expectJob(p, 'strict-run', 'WARN');
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
});
