// The Jenkins shared library executed for real: its vars/*.groovy run in Debian's groovy 2.4 against a
// recording pipeline DSL (test/jenkins/harness/pipeline-harness.groovy) whose `sh` runs the real dozhim
// binary against a real reporter on 127.0.0.1, and whose `build job:` runs the downstream job's own
// pipeline (test/jenkins/fixtures/downstream-tests.groovy), which runs a real suite writing real JUnit
// and uploads it with the real dozhim. All scenarios run in two groovy processes (JVM start-up is slow).
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Reporter, startReporter } from '../../reporter/test/helpers/server.js';
import { removeDir, requireBuilt, tempDir } from '../e2e/helpers.js';
import {
  type BuildRecord,
  byName,
  CLI,
  FIXTURES,
  type Job,
  requireGroovy,
  runScenarios,
  type Scenario,
  SUITE,
  stageNames,
  suiteRuns,
} from './harness.js';

const TOKEN = 'jenkins-test-token-0123';
const DOWNSTREAM = readFileSync(join(FIXTURES, 'downstream-tests.groovy'), 'utf8');
const suite = (args: string) => `${process.execPath} ${SUITE} ${args}`;
/** The command of command: mode: dozhim fills in {threads}, {junit} and, on reruns, {tests}. */
const command = (args: string) => `${suite(args)} --threads {threads} --junit {junit} {tests}`;

let root: string;
let reporter: Reporter;
let downUrl: string;
let records: BuildRecord[];
const state = (name: string) => join(root, name, 'sample-state');

/** A URL on 127.0.0.1 where nothing listens: a port taken from the OS, then released. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

function scenario(name: string, script: string, extra: Partial<Scenario> = {}): Scenario {
  mkdirSync(state(name), { recursive: true });
  return {
    name,
    workspace: join(root, name, 'ws'),
    script,
    params: { cli: CLI, reporter: reporter.url, down: downUrl, state: state(name) },
    credentials: { 'dozhim-token': TOKEN },
    ...extra,
    env: {
      BUILD_TAG: `jenkins-${name}-1`,
      DOZHIM_REPORTER_URL: reporter.url,
      // A loaded machine can keep a live reporter from answering within 1 s: then the CLI would go
      // on in local mode and the scenario would test something else. Only the "down" ones use 1 s.
      DOZHIM_REPORTER_TIMEOUT: '20',
      SAMPLE_STATE_DIR: state(name),
      NO_COLOR: '1',
      ...extra.env,
    },
  };
}

/** A command: mode build calling testsWithRerun with `options` (Groovy map entries). */
const commandBuild = (name: string, suiteArgs: string, options = '', extra: Partial<Scenario> = {}) =>
  scenario(
    name,
    `node { return testsWithRerun(command: '${command(suiteArgs)}', cli: params.cli, credentialsId: 'dozhim-token'${options ? `, ${options}` : ''}) }`,
    extra,
  );

function job(name: string, suiteArgs: string, env: Record<string, string> = {}, script = DOWNSTREAM): Job {
  mkdirSync(state(name), { recursive: true });
  return {
    script,
    workspace: join(root, name, 'job-ws'),
    env: {
      SUITE: suite(suiteArgs),
      DOZHIM: CLI,
      SAMPLE_STATE_DIR: state(name),
      DOZHIM_REPORTER_URL: reporter.url,
      DOZHIM_REPORTER_TIMEOUT: '20',
      NO_COLOR: '1',
      ...env,
    },
  };
}

/** A job: mode build: testsWithRerun triggers the downstream job 'e2e-tests' (its own sample state). */
const jobBuild = (
  name: string,
  suiteArgs: string,
  options = '',
  jobEnv: Record<string, string> = {},
  jobScript?: string,
) =>
  scenario(
    name,
    `node { return testsWithRerun(job: 'e2e-tests', cli: params.cli, credentialsId: 'dozhim-token'${options ? `, ${options}` : ''}) }`,
    {
      jobs: { 'e2e-tests': job(`${name}-job`, suiteArgs, jobEnv, jobScript) },
      // Against the closed port every CLI call would otherwise retry for the whole 20 s budget.
      ...(options.includes('params.down') ? { env: { DOZHIM_REPORTER_TIMEOUT: '1' } } : {}),
    },
  );

const parallelCommand = `node {
  def java = null
  def kotlin = null
  parallel java: {
    withEnv(["SAMPLE_STATE_DIR=\${params.state}/java"]) {
      java = testsWithRerun(label: 'java', command: '${command('--tests 6 --fail 2')}', cli: params.cli, credentialsId: 'dozhim-token')
    }
  }, kotlin: {
    withEnv(["SAMPLE_STATE_DIR=\${params.state}/kotlin"]) {
      kotlin = testsWithRerun(label: 'kotlin', command: '${command('--tests 4')}', cli: params.cli, credentialsId: 'dozhim-token')
    }
  }
  return [java: java, kotlin: kotlin]
}`;

const parallelJobs = `node {
  def java = null
  def kotlin = null
  parallel java: {
    java = testsWithRerun(label: 'java', job: 'java-tests', cli: params.cli, credentialsId: 'dozhim-token')
  }, kotlin: {
    kotlin = testsWithRerun(label: 'kotlin', job: 'kotlin-tests', cli: params.cli, credentialsId: 'dozhim-token')
  }
  return [java: java, kotlin: kotlin]
}`;

/** Composing one's own loop from startTests and getFailedTests. */
const composed = `node {
  def first = startTests(command: '${command('--tests 8 --fail 2')}', cli: params.cli, credentialsId: 'dozhim-token', threads: 6)
  def failing = getFailedTests(env.BUILD_TAG, credentialsId: 'dozhim-token', cli: params.cli)
  def second = startTests(command: '${command('--tests 8 --fail 2')}', cli: params.cli, credentialsId: 'dozhim-token', threads: 6, attempt: 2)
  def after = getFailedTests(env.BUILD_TAG, credentialsId: 'dozhim-token', cli: params.cli, format: 'generic')
  return [first: first, failing: failing, second: second, after: after]
}`;

/** startTests in job: mode, with the rerun's test list from getFailedTests. */
const composedJobs = `node {
  def first = startTests(job: 'e2e-tests', cli: params.cli, credentialsId: 'dozhim-token')
  def failing = getFailedTests(env.BUILD_TAG, cli: params.cli, credentialsId: 'dozhim-token', format: 'generic')
  def second = startTests(job: 'e2e-tests', cli: params.cli, credentialsId: 'dozhim-token', attempt: 2, threads: 4,
                          testList: failing.join(','))
  return [first: first, failing: failing, second: second]
}`;

/** Breaks every rule the harness enforces; the harness must report each one. */
const rulebreaker = `import com.cloudbees.groovy.cps.NonCPS
@NonCPS
def tidy(List xs) { xs.each { echo "inside NonCPS \${it}" }; return xs }
node {
  stage('Same') { echo 'one' }
  stage('Same') { tidy([1]) }
  [1].each { n -> tidy([n]) }
  try { sh(script: 'true', returnStatus: true, returnStdout: true) } catch (IllegalArgumentException e) { echo 'refused' }
  withCredentials([string(credentialsId: 'dozhim-token', variable: 'T')]) { sh "echo \${env.T} >/dev/null" }
  currentBuild.result = 'UNSTABLE'
  currentBuild.result = 'SUCCESS'
  stored = new groovy.json.JsonSlurper().parseText('{"a": 1}')
  echo 'a step after storing a LazyMap in the binding'
  return stored
}`;

/** The option keys each step accepts, from the library's own Options class. */
const describeOptions = `return ['testsWithRerun', 'startTests', 'getFailedTests'].collectEntries { s ->
  [(s): new ArrayList(io.dozhim.jenkins.Options.defaults(s).keySet())]
}`;

beforeAll(async () => {
  requireGroovy();
  requireBuilt();
  root = tempDir('jenkins');
  reporter = await startReporter(join(root, 'reporter.sqlite'), { DOZHIM_TOKEN: TOKEN });
  downUrl = await closedPortUrl();
  const commandMode: Scenario[] = [
    commandBuild('cmd-green', '--tests 5', '', { env: { BUILD_TAG: 'jenkins-org/repo/feature%2Ffoo 7' } }),
    commandBuild('cmd-flaky', '--tests 20 --fail 3'),
    commandBuild('cmd-40', '--tests 50 --fail 40'),
    // Runs after cmd-flaky (scenarios of one groovy process run in order) and reuses its run id.
    commandBuild('cmd-reused-run-id', '--tests 20', "runId: 'jenkins-cmd-flaky-1'"),
    commandBuild('cmd-41', '--tests 50 --fail 41 --persistent'),
    commandBuild('cmd-no-progress', '--tests 10 --fail 2 --persistent'),
    commandBuild('cmd-down', '--tests 6 --fail 1', 'reporterUrl: params.down', {
      env: { DOZHIM_REPORTER_TIMEOUT: '1' },
    }),
    commandBuild('cmd-fail-on-flaky', '--tests 4 --fail 1', 'failOnFlaky: true, errorOnFailure: false'),
    commandBuild(
      'cmd-flaky-success',
      '--tests 4 --fail 1',
      "flakyResult: 'SUCCESS', threadsSchedule: [6, 3]",
    ),
    commandBuild('cmd-infra', '--tests 4 --crash'),
    scenario(
      'cmd-invalid',
      `node {
        def messages = []
        try { testsWithRerun(command: 'x', threads: 8, threadsSchedule: [6, 3]) } catch (e) { messages << e.message }
        testsWithRerun(command: 'x', job: 'y', thread: 3, threads: 0, maxFailed: 'lots', flakyResult: 'GREEN', runId: 'a b')
      }`,
    ),
    scenario('cmd-parallel', parallelCommand),
    scenario('cmd-composed', composed),
    scenario('harness-rules', rulebreaker),
  ];
  const jobMode: Scenario[] = [
    jobBuild('job-green', '--tests 5'),
    jobBuild('job-flaky', '--tests 20 --fail 3'),
    jobBuild('job-41', '--tests 50 --fail 41 --persistent'),
    jobBuild('job-no-progress', '--tests 10 --fail 2 --persistent'),
    jobBuild('job-down', '--tests 5 --fail 1', 'reporterUrl: params.down', {
      DOZHIM_REPORTER_URL: downUrl,
      DOZHIM_REPORTER_TIMEOUT: '1',
    }),
    jobBuild(
      'job-no-upload',
      '--tests 5',
      '',
      {},
      DOWNSTREAM.replace(/withCredentials\(\[string[\s\S]*?\n {12}\}\n/, '// (this job forgot to upload)\n'),
    ),
    jobBuild(
      'job-red-but-green-results',
      '--tests 5',
      '',
      {},
      DOWNSTREAM.replace(
        /junit "reports/,
        "error('deploy step failed after the tests')\n            junit \"reports",
      ),
    ),
    jobBuild(
      'job-rerun-no-upload',
      '--tests 5 --fail 1',
      '',
      {},
      DOWNSTREAM.replace(
        /( {12}withCredentials\(\[string[\s\S]*?\n {12}\}\n)/,
        "            if (params.attempt == '1') {\n$1            }\n",
      ),
    ),
    scenario('job-composed', composedJobs, {
      jobs: { 'e2e-tests': job('job-composed-job', '--tests 6 --fail 2') },
    }),
    scenario('job-parallel', parallelJobs, {
      jobs: {
        'java-tests': job('job-parallel-java', '--tests 6 --fail 2'),
        'kotlin-tests': job('job-parallel-kotlin', '--tests 4'),
      },
    }),
    scenario('describe-options', describeOptions),
  ];
  // The parallel branches' own sample states (the suite refuses to run without one).
  for (const branch of ['java', 'kotlin']) mkdirSync(join(state('cmd-parallel'), branch));
  mkdirSync(join(root, 'a'));
  mkdirSync(join(root, 'b'));
  const [a, b] = await Promise.all([
    runScenarios(commandMode, join(root, 'a')),
    runScenarios(jobMode, join(root, 'b')),
  ]);
  records = [...a, ...b];
}, 540_000);

afterAll(async () => {
  await reporter?.stop();
  // KEEP_JENKINS_TMP=1 keeps the workspaces, logs and results.json for a look after a failure.
  if (root && !process.env.KEEP_JENKINS_TMP) removeDir(root);
  else if (root) console.log(`kept ${root}`);
});

async function reporterRun(runId: string) {
  const res = await fetch(`${reporter.url}/api/v1/runs/${encodeURIComponent(runId)}`);
  expect(res.status, `run ${runId} in the reporter`).toBe(200);
  return (await res.json()) as {
    attempts: { attempt: number }[];
    current: { failing: string[]; flaky: string[] };
  };
}

/** Library scenarios must break no rule of the harness, and never echo the token. */
function clean(name: string): BuildRecord {
  const r = byName(records, name);
  expect(r.violations, `${name}: harness violations`).toEqual([]);
  expect(r.stackTrace, `${name}: unexpected exception`).toBeUndefined();
  expect(
    r.echoes.filter((e) => e.startsWith('WARNING: attempt')),
    `${name}: stage names vs threads`,
  ).toEqual([]);
  for (const b of r.builds) expect(b.record.violations, `${name}: downstream violations`).toEqual([]);
  return r;
}

const ids = (...n: number[]) => n.map((i) => `gen::t${String(i).padStart(3, '0')}`);

describe('the harness enforces the CPS and Jenkins rules', () => {
  it('reports a repeated stage name, a step from @NonCPS (directly and from a closure), a non-Serializable value, both sh return modes, a secret in a script', () => {
    const r = byName(records, 'harness-rules');
    expect(r.violations).toContain('stage name repeats within the build: Same');
    expect(r.violations.filter((v) => /^step echo reached from @NonCPS .*\.tidy$/.test(v))).toHaveLength(2);
    expect(r.violations).toContain('sh called with both returnStatus and returnStdout');
    expect(r.violations.some((v) => /global variable stored .*not Serializable.*LazyMap/.test(v))).toBe(true);
    expect(r.violations.some((v) => /value returned by the pipeline is not Serializable/.test(v))).toBe(true);
    expect(r.violations.filter((v) => v.startsWith('a secret is in an sh script'))).toHaveLength(1);
    expect(r.echoes).toContain('refused');
  });

  it('keeps the build result from getting better', () => {
    const r = byName(records, 'harness-rules');
    expect(r.results.map((x) => x.effective)).toEqual(['UNSTABLE', 'UNSTABLE']);
    expect(r.result).toBe('UNSTABLE');
  });
});

describe('command: mode, one dozhim attempt per stage', () => {
  it('green first attempt: one stage, SUCCESS, the merged report published once, a sanitized default run id', async () => {
    const r = clean('cmd-green');
    expect(stageNames(r)).toEqual(['Attempt 1 · 8 threads · all tests']);
    expect(r.result).toBe('SUCCESS');
    expect(r.junit).toHaveLength(1);
    expect(r.junit[0]).toMatchObject({ tests: 5, failed: 0, flaky: 0, resultAfter: 'SUCCESS' });
    // BUILD_TAG of a multibranch job: %2F and a space are no run id characters.
    expect(r.returned).toMatchObject({
      runId: 'jenkins-org/repo/feature_2Ffoo_7',
      outcome: 'passed',
      result: 'SUCCESS',
      mode: 'reporter',
    });
    expect(suiteRuns(state('cmd-green'))).toEqual([{ threads: 8, tests: '*' }]);
    expect((await reporterRun('jenkins-org/repo/feature_2Ffoo_7')).attempts).toHaveLength(1);
  });

  it('flaky suite: 8 then 4 threads, only the failed tests rerun, UNSTABLE naming the flaky tests', async () => {
    const r = clean('cmd-flaky');
    expect(stageNames(r)).toEqual(['Attempt 1 · 8 threads · all tests', 'Attempt 2 · 4 threads · 3 tests']);
    expect(suiteRuns(state('cmd-flaky'))).toEqual([
      { threads: 8, tests: '*' },
      { threads: 4, tests: ids(1, 2, 3) },
    ]);
    expect(r.echoes).toContain('dozhim: FINISHED - 3 flaky tests passed on rerun');
    expect(r.result).toBe('UNSTABLE');
    expect(r.unstable).toHaveLength(1);
    expect(r.unstable[0]).toContain('gen::t001, gen::t002, gen::t003');
    // One junit call, on the merged report: flaky marks, no failure, so junit itself left the build green.
    expect(r.junit).toHaveLength(1);
    expect(r.junit[0]).toMatchObject({
      tests: 20,
      failed: 0,
      flaky: 3,
      resultBefore: 'SUCCESS',
      resultAfter: 'SUCCESS',
    });
    expect(r.returned).toMatchObject({
      outcome: 'flaky',
      result: 'UNSTABLE',
      flaky: ids(1, 2, 3),
      failing: [],
    });
    expect(r.returned.attempts.map((a: { threads: number }) => a.threads)).toEqual([8, 4]);
    const run = await reporterRun('jenkins-cmd-flaky-1');
    expect(run.attempts).toHaveLength(2);
    expect(run.current.flaky).toEqual(ids(1, 2, 3));
  });

  it('40 failures is not "too many": it retries (the input that would fool a > check written as >=)', () => {
    const r = clean('cmd-40');
    expect(stageNames(r)).toEqual(['Attempt 1 · 8 threads · all tests', 'Attempt 2 · 4 threads · 40 tests']);
    expect(r.result).toBe('UNSTABLE');
  });

  it('a run id that already holds attempts is refused before any test runs', () => {
    const r = clean('cmd-reused-run-id');
    expect(r.stages).toEqual([]);
    expect(r.result).toBe('FAILURE');
    expect(r.error).toBe(
      "testsWithRerun: run jenkins-cmd-flaky-1 already has attempts (the latest is 2): their results would mix with this build's; give this build its own runId",
    );
    expect(suiteRuns(state('cmd-reused-run-id'))).toEqual([]);
  });

  it('41 failures: TERMINATED after attempt 1, FAILURE with the reason as the error', () => {
    const r = clean('cmd-41');
    expect(stageNames(r)).toEqual(['Attempt 1 · 8 threads · all tests']);
    expect(r.echoes).toContain('dozhim: TERMINATED - too many failed tests: 41 > 40');
    expect(r.result).toBe('FAILURE');
    expect(r.error).toBe('TERMINATED - too many failed tests: 41 > 40');
    // The merged report is still published, with the 41 failures.
    expect(r.junit).toHaveLength(1);
    expect(r.junit[0]).toMatchObject({ failed: 41 });
  });

  it('no progress: TERMINATED after attempt 2, FAILURE', () => {
    const r = clean('cmd-no-progress');
    expect(stageNames(r)).toEqual(['Attempt 1 · 8 threads · all tests', 'Attempt 2 · 4 threads · 2 tests']);
    expect(r.error).toBe('TERMINATED - no test passed after retry');
    expect(r.result).toBe('FAILURE');
  });

  it('reporter down: the attempts go on in local state with a loud warning, in bounded time', () => {
    const r = clean('cmd-down');
    expect(stageNames(r)).toEqual(['Attempt 1 · 8 threads · all tests', 'Attempt 2 · 4 threads · 1 test']);
    expect(
      r.echoes.some(
        (e) => e.startsWith('WARNING: the reporter http://127.0.0.1:') && e.includes('local state only'),
      ),
    ).toBe(true);
    expect(r.returned).toMatchObject({ mode: 'local', outcome: 'flaky', flaky: ids(1) });
    expect(r.result).toBe('UNSTABLE');
    expect(r.ms).toBeLessThan(120_000);
  });

  it('failOnFlaky: FAILURE; errorOnFailure: false returns the summary instead of error()', () => {
    const r = clean('cmd-fail-on-flaky');
    expect(r.errors).toEqual([]);
    expect(r.result).toBe('FAILURE');
    expect(r.returned).toMatchObject({ outcome: 'flaky', result: 'FAILURE', flaky: ids(1) });
    expect(r.returned.reason).toContain('failOnFlaky');
  });

  it("flakyResult: 'SUCCESS' leaves a flaky run green; threadsSchedule sets the threads of each attempt", () => {
    const r = clean('cmd-flaky-success');
    expect(stageNames(r)).toEqual(['Attempt 1 · 6 threads · all tests', 'Attempt 2 · 3 threads · 1 test']);
    expect(suiteRuns(state('cmd-flaky-success'))).toEqual([
      { threads: 6, tests: '*' },
      { threads: 3, tests: ids(1) },
    ]);
    expect(r.result).toBe('SUCCESS');
    expect(r.returned).toMatchObject({ outcome: 'flaky', result: 'SUCCESS' });
  });

  it('a crashing suite is an infrastructure error, not a retry', () => {
    const r = clean('cmd-infra');
    expect(stageNames(r)).toEqual(['Attempt 1 · 8 threads · all tests']);
    expect(r.result).toBe('FAILURE');
    expect(r.error).toMatch(/^attempt 1 could not run its tests \(dozhim exit 7\)/);
  });

  it('invalid options: one clear error listing every problem, before any process runs', () => {
    const r = clean('cmd-invalid');
    expect(r.result).toBe('FAILURE');
    expect(r.sh).toEqual([]);
    const msg = r.error ?? '';
    expect(msg).toContain('testsWithRerun: unknown option thread (known:');
    expect(msg).toContain('testsWithRerun: give exactly one of command');
    expect(msg).toContain("testsWithRerun: threads must be a positive whole number, got '0'");
    expect(msg).toContain(
      "testsWithRerun: maxFailed must be a whole number like 40 or a percent like 10%, got 'lots'",
    );
    expect(msg).toContain("testsWithRerun: flakyResult must be UNSTABLE or SUCCESS, got 'GREEN'");
    expect(msg).toContain('testsWithRerun: runId must be 1-200 characters');
    expect(r.errors[0]).toBe(
      'testsWithRerun: threads (8) and threadsSchedule (6,3) disagree on attempt 1: give one of them',
    );
  });

  it('two parallel branches: their own run ids (BUILD_TAG-label), their own stages and reports', async () => {
    const r = clean('cmd-parallel');
    expect(r.parallel).toEqual([{ branches: ['java', 'kotlin'], failed: [] }]);
    expect(stageNames(r).sort()).toEqual([
      'java · Attempt 1 · 8 threads · all tests',
      'java · Attempt 2 · 4 threads · 2 tests',
      'kotlin · Attempt 1 · 8 threads · all tests',
    ]);
    expect(r.stages.find((s) => s.name.startsWith('kotlin'))?.path).toEqual(['[kotlin]']);
    expect(r.returned.java).toMatchObject({
      runId: 'jenkins-cmd-parallel-1-java',
      outcome: 'flaky',
      flaky: ids(1, 2),
    });
    expect(r.returned.kotlin).toMatchObject({ runId: 'jenkins-cmd-parallel-1-kotlin', outcome: 'passed' });
    expect(r.junit.map((j) => j.testResults).sort()).toEqual([
      'dozhim-report-jenkins-cmd-parallel-1-java.xml',
      'dozhim-report-jenkins-cmd-parallel-1-kotlin.xml',
    ]);
    expect(r.result).toBe('UNSTABLE');
    expect((await reporterRun('jenkins-cmd-parallel-1-java')).attempts).toHaveLength(2);
    expect((await reporterRun('jenkins-cmd-parallel-1-kotlin')).attempts).toHaveLength(1);
  });

  it('startTests and getFailedTests compose a loop: attempt 2 reruns only what getFailedTests listed', () => {
    const r = clean('cmd-composed');
    expect(r.stages).toEqual([]);
    expect(r.returned.first).toMatchObject({
      attempt: 1,
      ran: true,
      threads: 6,
      status: 1,
      failing: ids(1, 2),
    });
    expect(r.returned.failing).toEqual(ids(1, 2));
    expect(r.returned.second).toMatchObject({
      attempt: 2,
      ran: true,
      threads: 3,
      selected: 2,
      status: 0,
      flaky: ids(1, 2),
    });
    expect(r.returned.after).toEqual([]);
    expect(suiteRuns(state('cmd-composed'))).toEqual([
      { threads: 6, tests: '*' },
      { threads: 3, tests: ids(1, 2) },
    ]);
    expect(r.varCalls).toEqual(['startTests', 'getFailedTests', 'startTests', 'getFailedTests']);
  });
});

describe('job: mode, one downstream build per stage, dozhim decide between them', () => {
  const params = (r: BuildRecord) => r.builds.map((b) => b.parameters);

  it('green first attempt: one build with threadsCount 8 and testList *Test, SUCCESS', () => {
    const r = clean('job-green');
    expect(stageNames(r)).toEqual(['Attempt 1 · 8 threads · all tests']);
    expect(params(r)).toEqual([
      { threadsCount: '8', runId: 'jenkins-job-green-1', testList: '*Test', attempt: '1' },
    ]);
    expect(r.builds[0]).toMatchObject({ job: 'e2e-tests', propagate: false, wait: true, result: 'SUCCESS' });
    expect(r.result).toBe('SUCCESS');
    expect(r.junit).toHaveLength(1);
  });

  it('flaky suite: the rerun gets 4 threads and only the failed tests, UNSTABLE naming them', async () => {
    const r = clean('job-flaky');
    expect(stageNames(r)).toEqual(['Attempt 1 · 8 threads · all tests', 'Attempt 2 · 4 threads · 3 tests']);
    expect(params(r)).toEqual([
      { threadsCount: '8', runId: 'jenkins-job-flaky-1', testList: '*Test', attempt: '1' },
      { threadsCount: '4', runId: 'jenkins-job-flaky-1', testList: ids(1, 2, 3).join(','), attempt: '2' },
    ]);
    // The downstream job's own junit marked its first build UNSTABLE; the upstream's result is ours.
    expect(r.builds.map((b) => b.result)).toEqual(['UNSTABLE', 'SUCCESS']);
    expect(suiteRuns(state('job-flaky-job'))).toEqual([
      { threads: 8, tests: '*' },
      { threads: 4, tests: ids(1, 2, 3) },
    ]);
    expect(r.result).toBe('UNSTABLE');
    expect(r.unstable[0]).toContain('gen::t001, gen::t002, gen::t003');
    expect(r.junit).toHaveLength(1);
    expect(r.junit[0]).toMatchObject({ tests: 20, failed: 0, flaky: 3 });
    expect(r.returned).toMatchObject({
      outcome: 'flaky',
      flaky: ids(1, 2, 3),
      reportPath: 'dozhim-report-jenkins-job-flaky-1.xml',
    });
    expect((await reporterRun('jenkins-job-flaky-1')).attempts).toHaveLength(2);
  });

  it('41 failures: TERMINATED after attempt 1, FAILURE', () => {
    const r = clean('job-41');
    expect(r.builds).toHaveLength(1);
    expect(r.echoes).toContain('dozhim: TERMINATED - too many failed tests: 41 > 40');
    expect(r.error).toBe('TERMINATED - too many failed tests: 41 > 40');
    expect(r.result).toBe('FAILURE');
  });

  it('no progress: TERMINATED after attempt 2, FAILURE', () => {
    const r = clean('job-no-progress');
    expect(stageNames(r)).toEqual(['Attempt 1 · 8 threads · all tests', 'Attempt 2 · 4 threads · 2 tests']);
    expect(r.error).toBe('TERMINATED - no test passed after retry');
    expect(r.result).toBe('FAILURE');
  });

  it('reporter down: FAILURE with the CLI exit and message, not a hang', () => {
    const r = clean('job-down');
    expect(r.builds).toHaveLength(1);
    expect(r.result).toBe('FAILURE');
    expect(r.error).toMatch(
      /^dozhim decide exited [27] after e2e-tests #1 \(UNSTABLE\), attempt 1: dozhim: error: /,
    );
    expect(r.ms).toBeLessThan(120_000);
  });

  it('a downstream job that uploaded nothing cannot pass', () => {
    const r = clean('job-no-upload');
    expect(r.builds.map((b) => b.result)).toEqual(['SUCCESS']);
    expect(r.result).toBe('FAILURE');
    expect(r.error).toMatch(/e2e-tests #1 \(SUCCESS\)/);
  });

  it('a downstream job that failed although its uploaded results pass is not trusted', () => {
    const r = clean('job-red-but-green-results');
    expect(r.builds.map((b) => b.result)).toEqual(['FAILURE']);
    expect(r.result).toBe('FAILURE');
    expect(r.error).toBe(
      'e2e-tests #1 (FAILURE) failed although its results of attempt 1 show no failed test: not trusting them',
    );
  });

  it('a downstream rerun that uploaded nothing cannot pass, even though attempt 1 is in the reporter', () => {
    const r = clean('job-rerun-no-upload');
    expect(r.builds.map((b) => b.result)).toEqual(['UNSTABLE', 'SUCCESS']);
    expect(r.result).toBe('FAILURE');
    expect(r.error).toMatch(
      /^e2e-tests #2 \(SUCCESS\) recorded no results for attempt 2 of run jenkins-job-rerun-no-upload-1: /,
    );
  });

  it('startTests and getFailedTests compose a job: loop', () => {
    const r = clean('job-composed');
    expect(r.stages).toEqual([]);
    expect(r.returned.first).toMatchObject({
      attempt: 1,
      job: 'e2e-tests',
      testList: '*Test',
      result: 'UNSTABLE',
      number: 1,
    });
    expect(r.returned.failing).toEqual(ids(1, 2));
    expect(r.returned.second).toMatchObject({
      attempt: 2,
      threads: 4,
      testList: ids(1, 2).join(','),
      result: 'SUCCESS',
    });
    expect(r.builds.map((b) => b.parameters)).toEqual([
      { threadsCount: '8', runId: 'jenkins-job-composed-1', testList: '*Test', attempt: '1' },
      { threadsCount: '4', runId: 'jenkins-job-composed-1', testList: ids(1, 2).join(','), attempt: '2' },
    ]);
  });

  it('two parallel branches trigger their own jobs with their own run ids', () => {
    const r = clean('job-parallel');
    expect(stageNames(r).sort()).toEqual([
      'java · Attempt 1 · 8 threads · all tests',
      'java · Attempt 2 · 4 threads · 2 tests',
      'kotlin · Attempt 1 · 8 threads · all tests',
    ]);
    const runIds = r.builds.map((b) => `${b.job}:${b.parameters.runId}`).sort();
    expect(runIds).toEqual([
      'java-tests:jenkins-job-parallel-1-java',
      'java-tests:jenkins-job-parallel-1-java',
      'kotlin-tests:jenkins-job-parallel-1-kotlin',
    ]);
    expect(r.returned.java).toMatchObject({ outcome: 'flaky', flaky: ids(1, 2) });
    expect(r.returned.kotlin).toMatchObject({ outcome: 'passed' });
    expect(r.result).toBe('UNSTABLE');
  });
});

describe('docs', () => {
  const LIB = join(FIXTURES, '../../../jenkins-shared-lib');
  const documented = (step: string): string[] =>
    [...readFileSync(join(LIB, 'vars', `${step}.txt`), 'utf8').matchAll(/<dt><code>(\w+)<\/code>/g)].map(
      (m) => m[1]!,
    );

  it('every vars/*.groovy has its .txt, and every documented parameter is an option of the step (both ways)', () => {
    const r = byName(records, 'describe-options');
    const steps = readdirGroovy(join(LIB, 'vars'));
    expect(steps.sort()).toEqual(Object.keys(r.returned).sort());
    for (const step of steps) {
      expect(documented(step).sort(), `${step}.txt`).toEqual([...(r.returned[step] as string[])].sort());
    }
  });

  it('every option is read by the library code', () => {
    const r = byName(records, 'describe-options');
    const source = [
      ...readdirGroovy(join(LIB, 'vars')).map((s) => join(LIB, 'vars', `${s}.groovy`)),
      ...srcFiles(LIB),
    ]
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    for (const key of new Set(Object.values(r.returned as Record<string, string[]>).flat())) {
      expect(new RegExp(`\\bo\\.${key}\\b`).test(source), `option ${key} is read as o.${key}`).toBe(true);
    }
  });
});

function readdirGroovy(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.groovy'))
    .map((f) => f.replace(/\.groovy$/, ''));
}

function srcFiles(lib: string): string[] {
  const dir = join(lib, 'src/io/dozhim/jenkins');
  return readdirSync(dir).map((f) => join(dir, f));
}
