import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO, removeDir, requireBuilt, requireTool, tempDir } from '../e2e/helpers.js';

/** The component under test, copied into every temp project (GitLab's layout: templates/<name>.yml). */
export const TEMPLATE = join(REPO, 'templates/dozhim.yml');
export const EXAMPLE = join(REPO, 'examples/gitlab/.gitlab-ci.yml');
export const SUITE = join(REPO, 'test/gitlab/fixtures/suite.mjs');
export const GCL = join(REPO, 'node_modules/gitlab-ci-local/dist/index.js');
export const GCL_VERSION = '4.73.0';
/** How the jobs call the dozhim under test (the component's `cli` input). */
export const DOZHIM_CLI = `${process.execPath} ${join(REPO, 'retry-cli/bin/dozhim.js')}`;

/** Fails with a clear message when something the pipelines need is missing (never skips). */
export function requireGitlabTools(): void {
  requireBuilt();
  requireTool('git', 'git', ['--version']);
  requireTool('rsync (Debian rsync; gitlab-ci-local --shell-isolation copies builds with it)', 'rsync', [
    '--version',
  ]);
  if (!existsSync(GCL)) {
    throw new Error(`gitlab-ci-local is not installed (${GCL} missing): run npm ci`);
  }
  const version = JSON.parse(readFileSync(join(REPO, 'node_modules/gitlab-ci-local/package.json'), 'utf8'))
    .version as string;
  if (version !== GCL_VERSION) {
    throw new Error(`gitlab-ci-local ${GCL_VERSION} is required (4.74+ needs Node 22), found ${version}`);
  }
}

export interface Project {
  dir: string;
  /** Where the sample suite keeps flaky markers and ran.log (outside the isolated builds). */
  sampleState: string;
  cleanup(): void;
}

/**
 * A temp git repo (remote origin gitlab.example.com/acme/app) holding the component from this checkout,
 * the fixture suite and the given `.gitlab-ci.yml`, all committed: gitlab-ci-local copies only tracked
 * files into isolated builds, and resolves `include: component:` from the checkout at $CI_COMMIT_SHA.
 */
export function makeProject(name: string, ciYml: string, files: Record<string, string> = {}): Project {
  const root = tempDir(`gitlab-${name}`);
  const dir = join(root, 'project');
  const sampleState = join(root, 'sample-state');
  mkdirSync(join(dir, 'templates'), { recursive: true });
  mkdirSync(sampleState);
  copyFileSync(TEMPLATE, join(dir, 'templates/dozhim.yml'));
  copyFileSync(SUITE, join(dir, 'suite.mjs'));
  writeFileSync(join(dir, '.gitlab-ci.yml'), ciYml);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const git = (...args: string[]) => {
    const r = spawnSync('git', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  };
  git('init', '-q', '-b', 'main');
  git('remote', 'add', 'origin', 'https://gitlab.example.com/acme/app.git');
  git('add', '-A');
  git('-c', 'user.email=ci@example.com', '-c', 'user.name=ci', 'commit', '-qm', 'init');
  return { dir, sampleState, cleanup: () => removeDir(root) };
}

export type JobStatus = 'PASS' | 'WARN' | 'FAIL';

export interface Pipeline {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The final summary of gitlab-ci-local: job name → PASS, WARN (allowed to fail) or FAIL. */
  jobs: Map<string, JobStatus>;
  /** The log lines of one job (stdout, then stderr; without gitlab-ci-local's prefix). */
  log(job: string): string[];
  /** The exit code of a job's script (gitlab-ci-local: `<job> finished in 1.2 s  FAIL 7`). */
  exitCode(job: string): number;
  /** A file from a job's exported artifacts. */
  artifact(job: string, path: string): string;
}

export interface PipelineOptions {
  variables?: Record<string, string>;
  /**
   * Run only these jobs (by name; a parallel job's base name runs all its instances), in the same
   * pipeline: gitlab-ci-local keeps the pipeline id, like a GitLab "Retry" of those jobs.
   */
  jobs?: string[];
  timeoutMs?: number;
}

/**
 * Runs the project's pipeline with gitlab-ci-local: shell executor for every job (no Docker here),
 * each job in its own build dir (--shell-isolation, artifacts passed between stages like GitLab does).
 */
export function runPipeline(project: Project, options: PipelineOptions = {}): Promise<Pipeline> {
  const vars = { SAMPLE_STATE_DIR: project.sampleState, ...options.variables };
  const args = [
    GCL,
    '--home',
    join(project.dir, '..', 'gcl-home'),
    '--shell-isolation',
    '--no-artifacts-to-source',
    '--force-shell-executor',
    '--no-color',
    '--max-job-name-padding',
    '0',
    ...Object.entries(vars).flatMap(([k, v]) => ['--variable', `${k}=${v}`]),
    ...(options.jobs ?? []),
  ];
  const timeoutMs = options.timeoutMs ?? 280_000;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: project.dir,
      // The jobs must not see this test process's CI or GitLab variables.
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', LANG: 'C.UTF-8' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gitlab-ci-local timed out after ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(pipelineResult(project, code, stdout, stderr));
    });
  });
}

function pipelineResult(project: Project, code: number | null, stdout: string, stderr: string): Pipeline {
  const lines = stdout.split('\n');
  const jobs = new Map<string, JobStatus>();
  for (const line of lines) {
    const m = /^ (PASS|WARN|FAIL) +(.+?)(?: +(?:pre_script|after_script))? *$/.exec(line);
    if (m) jobs.set(m[2]!, m[1] as JobStatus);
  }
  return {
    code,
    stdout,
    stderr,
    jobs,
    // gitlab-ci-local prints a job's stdout on its stdout and the job's stderr on its stderr.
    log: (job) =>
      [...lines, ...stderr.split('\n')]
        .filter((l) => l.startsWith(`${job} `))
        .map((l) => l.slice(job.length + 1).replace(/^[>$] ?/, '')),
    exitCode(job) {
      const line = this.log(job).find((l) => l.startsWith('finished in '));
      if (line === undefined) throw new Error(`job ${job} did not finish\n${stdout}\n${stderr}`);
      const m = /\s(?:WARN|FAIL) (\d+)\s*$/.exec(line);
      return m ? Number(m[1]) : 0;
    },
    artifact: (job, path) => {
      const safe = job.replace(/[^\w-]+/g, '-').replace(/-$/, '');
      const file = join(project.dir, '.gitlab-ci-local/artifacts', safe, path);
      if (!existsSync(file)) {
        throw new Error(`no artifact ${path} of job ${job} (${file})\n${stdout}\n${stderr}`);
      }
      return readFileSync(file, 'utf8');
    },
  };
}

export interface Ran {
  tag: string;
  attempt: number;
  threads: number;
  shard: string;
  id: string;
}

/** `tag=T attempt=A threads=N shard=K/N id` lines the fixture suite wrote, parsed. */
export function ranLog(project: Project): Ran[] {
  const file = join(project.sampleState, 'ran.log');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const m = /^tag=(\S+) attempt=(\d+) threads=(\d+) shard=(\S+) (.+)$/.exec(l);
      if (!m) throw new Error(`bad ran.log line: ${l}`);
      return { tag: m[1]!, attempt: Number(m[2]), threads: Number(m[3]), shard: m[4]!, id: m[5]! };
    });
}

/** The include every test pipeline uses: the component from this checkout, at the committed SHA. */
export function componentInclude(inputs: Record<string, string | number | boolean>): string {
  const body = Object.entries(inputs)
    .map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`)
    .join('\n');
  return `  - component: $CI_SERVER_FQDN/$CI_PROJECT_PATH/dozhim@$CI_COMMIT_SHA\n    inputs:\n${body}\n`;
}

export interface ListedJob {
  name: string;
  stage: string;
  when: string;
  allow_failure: boolean | { exit_codes: number[] };
  needs?: unknown;
}

/**
 * `gitlab-ci-local --list-json` with GitLab's CI JSON schema validation on (bundled in gitlab-ci-local):
 * resolves the includes and the inputs, validates the expanded configuration and lists the jobs with the
 * `when` their rules give. Nothing runs.
 */
export function listJobs(
  project: Project,
  variables: Record<string, string> = {},
): { code: number | null; jobs: ListedJob[]; stdout: string; stderr: string } {
  const r = spawnSync(
    process.execPath,
    [
      GCL,
      '--home',
      join(project.dir, '..', 'gcl-home'),
      '--json-schema-validation',
      '--list-json',
      ...Object.entries(variables).flatMap(([k, v]) => ['--variable', `${k}=${v}`]),
    ],
    {
      cwd: project.dir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' },
      timeout: 100_000,
    },
  );
  let jobs: ListedJob[] = [];
  if (r.status === 0) jobs = JSON.parse(r.stdout) as ListedJob[];
  return { code: r.status, jobs, stdout: r.stdout, stderr: r.stderr };
}
