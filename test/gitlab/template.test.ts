// The component file itself: its inputs match its body, its callers (the example pipeline, the README)
// pass only what GitLab accepts, it keeps to the component rules (no global keywords, rules only, a
// $DOZHIM_DISABLED opt-out), and the expanded pipeline validates against GitLab's CI JSON schema as
// bundled in gitlab-ci-local, in both modes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../e2e/helpers.js';
import {
  componentInclude,
  EXAMPLE,
  listJobs,
  makeProject,
  type Project,
  requireGitlabTools,
  TEMPLATE,
} from './helpers.js';
import { componentIncludes, includeProblems, inputProblems, readComponent } from './template-inputs.js';

const text = readFileSync(TEMPLATE, 'utf8');
const component = readComponent(text);
const GLOBAL_KEYWORDS = [
  'default',
  'include',
  'stages',
  'variables',
  'workflow',
  'image',
  'services',
  'cache',
  'before_script',
  'after_script',
];

describe('templates/dozhim.yml inputs', () => {
  it('declares every input it uses and uses every input it declares, with typed defaults', () => {
    expect(inputProblems(component)).toEqual([]);
    expect(Object.keys(component.inputs).length).toBeGreaterThanOrEqual(15);
  });

  it('the check catches an undeclared use, an unused declaration and a default of the wrong type', () => {
    const bad = readComponent(
      text
        .replace('$[[ inputs.threads ]]', '$[[ inputs.thread ]]')
        .replace('default: 3\n', 'default: "3"\n')
        .replace(
          '    job_prefix:\n',
          '    unused_one:\n      description: x\n      type: string\n      default: ""\n    job_prefix:\n',
        ),
    );
    expect(inputProblems(bad)).toEqual(
      expect.arrayContaining([
        'input thread is used but not declared',
        'input unused_one is declared but never used',
        'input max_runs: default "3" is not a number',
      ]),
    );
  });

  it('the example pipeline and every README include pass only declared inputs and every required one', () => {
    const callers: [string, string][] = [[EXAMPLE, readFileSync(EXAMPLE, 'utf8')]];
    const readme = readFileSync(join(REPO, 'templates/README.md'), 'utf8');
    for (const m of readme.matchAll(/```yaml\n([\s\S]*?)```/g)) callers.push(['templates/README.md', m[1]!]);
    let includes = 0;
    for (const [where, yaml] of callers) {
      for (const given of componentIncludes(yaml, 'dozhim')) {
        includes++;
        expect(includeProblems(component, given), `${where}: ${JSON.stringify(given)}`).toEqual([]);
      }
    }
    // The example has both modes; the README shows component, project and remote includes.
    expect(componentIncludes(readFileSync(EXAMPLE, 'utf8'), 'dozhim').length).toBeGreaterThanOrEqual(2);
    expect(includes).toBeGreaterThanOrEqual(5);
  });

  it('the includer check catches what GitLab refuses: unknown, missing, mistyped and out-of-options inputs', () => {
    expect(includeProblems(component, { command: 'x', comand: 'y', threads: '8', mode: 'shard' })).toEqual([
      'unknown input comand',
      'input mode: "shard" is not one of its options',
      'input threads must be a number',
    ]);
    expect(includeProblems(component, {})).toEqual(['required input command is missing']);
    expect(includeProblems(component, { command: 'x', job_prefix: 'Bad Prefix' })).toEqual([
      'input job_prefix does not match ^[a-z0-9][a-z0-9_-]{0,39}$',
    ]);
  });
});

describe('templates/dozhim.yml structure', () => {
  const jobs = component.jobs as Record<string, Record<string, unknown>>;
  const real = Object.entries(jobs).filter(([name]) => !name.startsWith('.'));

  it('has no global keywords: one hidden base job and real jobs, all named after job_prefix', () => {
    const names = Object.keys(jobs);
    expect(names.filter((n) => GLOBAL_KEYWORDS.includes(n))).toEqual([]);
    expect(names).toEqual([
      '.$[[ inputs.job_prefix ]]-base',
      '$[[ inputs.job_prefix ]]-run',
      '$[[ inputs.job_prefix ]]-shard',
      '$[[ inputs.job_prefix ]]-retry',
    ]);
    for (const [name, job] of real) expect(job.extends, name).toBe('.$[[ inputs.job_prefix ]]-base');
  });

  it('publishes the merged report as the test report of the deciding jobs only, never a shard', () => {
    const artifacts = (name: string) =>
      jobs[name]!.artifacts as { when: string; paths: string[]; reports?: { junit?: string } };
    for (const name of ['$[[ inputs.job_prefix ]]-run', '$[[ inputs.job_prefix ]]-retry']) {
      expect(artifacts(name).when, name).toBe('always');
      expect(artifacts(name).reports?.junit, name).toBe('dozhim-report.xml');
      // Later jobs only get report files that are also plain artifacts.
      expect(artifacts(name).paths, name).toEqual(
        expect.arrayContaining(['dozhim-report.xml', 'dozhim-summary.json']),
      );
    }
    const shard = artifacts('$[[ inputs.job_prefix ]]-shard');
    expect(shard.reports).toBeUndefined();
    expect(jobs['.$[[ inputs.job_prefix ]]-base']!.artifacts).toBeUndefined();
  });

  it('uses rules only, each real job opting out first on $DOZHIM_DISABLED', () => {
    expect(text).not.toMatch(/^\s+(only|except):/m);
    for (const [name, job] of real) {
      const rules = job.rules as { if?: string; when?: string }[];
      expect(rules[0], name).toEqual({ if: '$DOZHIM_DISABLED', when: 'never' });
    }
  });
});

// One --list-json takes about 1 s idle, 10 s under load 8.
describe('the expanded pipeline in gitlab-ci-local (GitLab CI JSON schema validation on)', {
  timeout: 240_000,
}, () => {
  const projects: Project[] = [];
  beforeAll(requireGitlabTools);
  afterAll(() => {
    for (const p of projects) p.cleanup();
  });
  const project = (name: string, ci: string) => {
    const p = makeProject(name, ci);
    projects.push(p);
    return p;
  };
  const summary = (jobs: { name: string; stage: string; when: string }[]) =>
    jobs.map((j) => `${j.name} ${j.stage} ${j.when}`);

  it('validates with every input set, picks the jobs by mode, and $DOZHIM_DISABLED drops them all', () => {
    const all = {
      framework: 'pytest',
      threads: 6,
      max_runs: 4,
      max_failed: '10%',
      reporter_url: 'http://reporter.example:8080',
      junit: 'reports/*.xml',
      extra_args: '--retry-on Timeout',
      stage: 'e2e',
      retry_stage: 'e2e-retry',
      run_id: '$CI_PIPELINE_ID-nightly',
      image: 'node:20',
      cli: 'npx --yes @dozhim/cli@0.1.0',
      fail_on_flaky: true,
      command: 'pytest -n {threads} {tests}',
    };
    const p = project(
      'schema',
      `stages: [e2e, e2e-retry]\ninclude:\n${componentInclude({ ...all, job_prefix: 'one', mode: 'single' })}${componentInclude({ ...all, job_prefix: 'many', mode: 'sharded', shards: 4 })}`,
    );
    const listed = listJobs(p);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stderr).toMatch(/json schema validated/);
    expect(summary(listed.jobs)).toEqual([
      'one-run e2e on_success',
      'one-shard: [1/3] e2e never',
      'one-shard: [2/3] e2e never',
      'one-shard: [3/3] e2e never',
      'one-retry e2e-retry never',
      'many-run e2e never',
      'many-shard: [1/4] e2e on_success',
      'many-shard: [2/4] e2e on_success',
      'many-shard: [3/4] e2e on_success',
      'many-shard: [4/4] e2e on_success',
      'many-retry e2e-retry always',
    ]);
    const byName = new Map(listed.jobs.map((j) => [j.name, j]));
    expect(byName.get('one-run')?.allow_failure).toEqual({ exit_codes: [6] });
    expect(byName.get('many-shard: [1/4]')?.allow_failure).toEqual({ exit_codes: [1] });
    expect(byName.get('many-retry')?.allow_failure).toEqual({ exit_codes: [6] });

    const disabled = listJobs(p, { DOZHIM_DISABLED: 'true' });
    expect(disabled.code, disabled.stderr).toBe(0);
    expect(new Set(disabled.jobs.map((j) => j.when))).toEqual(new Set(['never']));
  });

  it('validates with only the required input, and the defaults give the single-mode job', () => {
    const p = project('defaults', `include:\n${componentInclude({ command: 'npm test' })}`);
    const listed = listJobs(p);
    expect(listed.code, listed.stderr).toBe(0);
    expect(summary(listed.jobs).filter((j) => !j.endsWith('never'))).toEqual(['dozhim-run test on_success']);
  });

  it('refuses a template that breaks the schema, so the validation above is real', () => {
    const broken = text.replace('exit_codes: [6]', 'exit_codes: six');
    expect(broken).not.toBe(text);
    const p = makeProject('invalid', `include:\n${componentInclude({ command: 'npm test' })}`, {
      'templates/dozhim.yml': broken,
    });
    projects.push(p);
    const listed = listJobs(p);
    expect(listed.code).not.toBe(0);
    expect(listed.stdout + listed.stderr).toMatch(/exit_codes' property type must be integer/);
  });

  it('the example pipeline of the repository validates and has both modes', () => {
    const p = project('example', readFileSync(EXAMPLE, 'utf8'));
    const listed = listJobs(p);
    expect(listed.code, listed.stderr).toBe(0);
    const active = listed.jobs.filter((j) => j.when !== 'never').map((j) => j.name);
    expect(active.some((n) => n.endsWith('-run'))).toBe(true);
    expect(active.filter((n) => /-shard: \[\d+\/\d+\]$/.test(n)).length).toBeGreaterThanOrEqual(2);
    expect(active.some((n) => n.endsWith('-retry'))).toBe(true);
  });
});
