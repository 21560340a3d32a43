// Runs scenarios through test/jenkins/harness/pipeline-harness.groovy (Debian's groovy 2.4, the Groovy of
// Jenkins core): the library's real vars/*.groovy and src/ against a recording stand-in for the pipeline DSL.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DOZHIM, REPO } from '../e2e/helpers.js';

export const LIBRARY = join(REPO, 'jenkins-shared-lib');
export const HARNESS = join(REPO, 'test/jenkins/harness');
export const FIXTURES = join(REPO, 'test/jenkins/fixtures');
export const SUITE = join(FIXTURES, 'suite.mjs');
export const JAVA_HOME = '/usr/lib/jvm/java-17-openjdk-amd64';
/** How the pipelines call the real CLI: the `cli` option (a preinstalled dozhim, here the built one). */
export const CLI = `${process.execPath} ${DOZHIM}`;

/** groovy refuses to start without JAVA_HOME; a missing tool fails the test with the install hint. */
export function requireGroovy(): void {
  const r = spawnSync('groovy', ['--version'], { env: { ...process.env, JAVA_HOME }, encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(
      `Debian groovy (2.4) with JDK 17 at ${JAVA_HOME} is required by the Jenkins library tests but ` +
        `\`groovy --version\` failed (${r.error?.message ?? r.stderr}); run node scripts/ensure-tools.mjs ` +
        '(apt-get install groovy openjdk-17-jdk-headless)',
    );
  }
}

export interface Job {
  script: string;
  workspace: string;
  env?: Record<string, string>;
}

export interface Scenario {
  name: string;
  workspace: string;
  script: string;
  env?: Record<string, string>;
  params?: Record<string, string>;
  credentials?: Record<string, string>;
  jobs?: Record<string, Job>;
}

export interface JUnitCall {
  testResults: string;
  skipMarkingBuildUnstable: boolean;
  resultBefore: string;
  resultAfter?: string;
  tests?: number;
  failed?: number;
  flaky?: number;
  flakyNames?: string[];
  missing?: boolean;
}

export interface BuildRecord {
  job: string;
  number: number;
  stages: { name: string; path: string[] }[];
  echoes: string[];
  errors: string[];
  junit: JUnitCall[];
  unstable: string[];
  builds: {
    job: string;
    parameters: Record<string, string>;
    propagate: boolean;
    wait: boolean;
    result: string;
    number: number;
    record: BuildRecord;
  }[];
  results: { requested: string; by: string; effective: string }[];
  sh: { script: string; status: number; ms: number }[];
  violations: string[];
  varCalls: string[];
  parallel: { branches: string[]; failed: string[] }[];
  log: string;
  // biome-ignore lint/suspicious/noExplicitAny: the pipeline's return value, as JSON
  returned?: any;
  result: string;
  error?: string;
  errorClass?: string;
  stackTrace?: string;
  harnessError?: string;
  ms: number;
  name: string;
}

/** Runs the scenarios in ONE groovy process (JVM start-up is ~1-2 s) and returns a record per scenario. */
export function runScenarios(
  scenarios: Scenario[],
  dir: string,
  // ~45 s on an idle 2-core machine; 10x that, since the cores are shared and load averages of 20+ occur.
  timeoutMs = 480_000,
): Promise<BuildRecord[]> {
  const input = join(dir, 'scenarios.json');
  const output = join(dir, 'results.json');
  writeFileSync(input, JSON.stringify({ library: LIBRARY, scenarios, shTimeoutMs: 120_000 }));
  return new Promise((resolve, reject) => {
    const child = spawn(
      'groovy',
      [
        '-cp',
        `${join(LIBRARY, 'src')}:${join(HARNESS, 'stubs')}`,
        join(HARNESS, 'pipeline-harness.groovy'),
        input,
        output,
      ],
      { env: { ...process.env, JAVA_HOME, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`groovy harness timed out after ${timeoutMs} ms\n${out}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(`groovy harness exited ${code}\n${out}`));
        return;
      }
      resolve(JSON.parse(readFileSync(output, 'utf8')) as BuildRecord[]);
    });
  });
}

/** The record of one scenario, failing with the harness's own error or stack trace when it broke. */
export function byName(records: BuildRecord[], name: string): BuildRecord {
  const r = records.find((x) => x.name === name);
  if (!r) throw new Error(`no record for scenario ${name}`);
  if (r.harnessError) throw new Error(`harness failed in ${name}: ${r.harnessError}`);
  return r;
}

export const stageNames = (r: BuildRecord): string[] => r.stages.map((s) => s.name);

/** The runs.log lines of the fixture suite: `threads=N tests=<ids or *>`, one per run. */
export function suiteRuns(stateDir: string): { threads: number; tests: string[] | '*' }[] {
  let text = '';
  try {
    text = readFileSync(join(stateDir, 'runs.log'), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const m = /^threads=(\d+) tests=(.*)$/.exec(line);
      if (!m) throw new Error(`bad runs.log line: ${line}`);
      return { threads: Number(m[1]), tests: m[2] === '*' ? '*' : m[2]!.split(',') };
    });
}
