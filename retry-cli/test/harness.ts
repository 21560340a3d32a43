import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Test harness for the real `dozhim` binary: a temp dir holding a tiny generic "suite" (a node
 * script that writes JUnit to $DOZHIM_JUNIT and fails chosen tests the first N times, counting runs
 * in a state file), and a helper that runs the built binary on it.
 */

export const BIN = fileURLToPath(new URL('../bin/dozhim.js', import.meta.url));
export const BUILT = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

export function assertBuilt(): void {
  if (!existsSync(BUILT))
    throw new Error(`dozhim is not built (${BUILT} missing): run \`npx tsc -b retry-cli\` first`);
}

export interface FakeTest {
  classname: string;
  name: string;
  /** The test fails on its first `failTimes` runs (Infinity: always). */
  failTimes: number;
  message?: string;
}

/** The suite: runs the tests named in argv (canonical ids) or all, logs each run, writes JUnit. */
const SUITE = String.raw`
import { readFileSync, writeFileSync, appendFileSync, existsSync } from 'node:fs';
const dir = new URL('.', import.meta.url).pathname;
const spec = JSON.parse(readFileSync(dir + 'spec.json', 'utf8'));
const statePath = dir + 'state.json';
const state = existsSync(statePath) ? JSON.parse(readFileSync(statePath, 'utf8')) : {};
const id = (t) => t.classname + '::' + t.name;
const wanted = process.argv.slice(2);
const selected = wanted.length ? spec.tests.filter((t) => wanted.includes(id(t))) : spec.tests;
// FAKE_OMIT: a test that silently produces no result on reruns (a crashed worker, a lost shard).
const tests = wanted.length ? selected.filter((t) => id(t) !== process.env.FAKE_OMIT) : selected;
appendFileSync(dir + 'runs.log', JSON.stringify({ attempt: process.env.DOZHIM_ATTEMPT, threads: process.env.DOZHIM_THREADS, args: wanted, ran: tests.map(id) }) + '\n');
if (process.env.FAKE_SLEEP_MS) {
  // A grandchild too: signals must reach the whole process group, not only the command.
  const { spawn } = await import('node:child_process');
  const sleeper = spawn('sleep', ['300'], { stdio: 'ignore' });
  writeFileSync(dir + 'pid-' + process.env.DOZHIM_ATTEMPT, process.pid + ' ' + sleeper.pid);
  await new Promise((r) => setTimeout(r, Number(process.env.FAKE_SLEEP_MS)));
}
if (process.env.FAKE_CRASH) process.kill(process.pid, 'SIGSEGV');
if (process.env.FAKE_NO_REPORT) process.exit(2);
const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
let failed = 0;
const cases = tests.map((t) => {
  const n = (state[id(t)] = (state[id(t)] ?? 0) + 1);
  const fails = t.failTimes === null || n <= t.failTimes;
  if (fails) failed++;
  const body = fails ? '<failure message="' + esc(t.message ?? 'boom') + '" type="AssertionError">trace</failure>' : '';
  return '<testcase classname="' + esc(t.classname) + '" name="' + esc(t.name) + '" time="0.01">' + body + '</testcase>';
});
writeFileSync(statePath, JSON.stringify(state));
const xml = '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites><testsuite name="fake" tests="' + cases.length + '" failures="' + failed + '">' + cases.join('') + '</testsuite></testsuites>\n';
const out = process.env.FAKE_REPORT_PATH ?? process.env.DOZHIM_JUNIT;
if (out) writeFileSync(out, xml);
process.exit(failed ? 1 : 0);
`;

export interface Suite {
  dir: string;
  suite: string;
  /** One entry per attempt the suite ran: which test ids ran, and with which threads. */
  runs(): Promise<{ attempt: string; threads: string; args: string[]; ran: string[] }[]>;
}

export async function makeSuite(tests: FakeTest[]): Promise<Suite> {
  const dir = await mkdtemp(join(tmpdir(), 'dozhim-cli-'));
  await writeFile(join(dir, 'suite.mjs'), SUITE);
  // JSON has no Infinity: null stands for "always fails".
  const spec = {
    tests: tests.map((t) => ({ ...t, failTimes: Number.isFinite(t.failTimes) ? t.failTimes : null })),
  };
  await writeFile(join(dir, 'spec.json'), JSON.stringify(spec));
  return {
    dir,
    suite: join(dir, 'suite.mjs'),
    async runs() {
      const log = existsSync(join(dir, 'runs.log')) ? await readFile(join(dir, 'runs.log'), 'utf8') : '';
      return log
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
    },
  };
}

export const passing = (n: number, classname = 'suite.Pass'): FakeTest[] =>
  Array.from({ length: n }, (_, i) => ({ classname, name: `test_${i}`, failTimes: 0 }));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the built binary in `cwd` with a clean CI-free environment plus `env`. */
export function startCli(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): { child: ChildProcess; done: Promise<CliResult> } {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^(DOZHIM_|CI_|GITLAB_CI$|BUILD_TAG$|JENKINS_URL$|JOB_NAME$|NO_COLOR$|FORCE_COLOR$)/.test(k),
    ),
  );
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => {
    stdout += c;
  });
  child.stderr.on('data', (c) => {
    stderr += c;
  });
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

export const runCli = (args: string[], cwd: string, env: Record<string, string> = {}): Promise<CliResult> =>
  startCli(args, cwd, env).done;
