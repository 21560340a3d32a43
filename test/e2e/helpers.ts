// Shared plumbing of the end-to-end tests: real processes, temp dirs, the sample suites' conventions.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll } from 'vitest';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = (name: string): string => join(REPO, 'node_modules/.bin', name);
export const DOZHIM = join(REPO, 'retry-cli/bin/dozhim.js');
export const REPORTER = join(REPO, 'reporter/bin/dozhim-reporter.js');
export const PYTHON = '/usr/bin/python3';

export interface Proc {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  /** Called with each stdout chunk (e.g. to send a signal when a line appears). */
  onStdout?: (chunk: string, child: import('node:child_process').ChildProcess) => void;
}

/** Runs a process to completion (no shell), with a hard timeout so a hung child fails the test. */
export function run(file: string, args: readonly string[], options: RunOptions = {}): Promise<Proc> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd ?? REPO,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, CI: undefined, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      options.onStdout?.(d, child);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `timeout after ${options.timeoutMs ?? 90_000} ms: ${file} ${args.join(' ')}\n${stdout}\n${stderr}`,
        ),
      );
    }, options.timeoutMs ?? 90_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Runs the built `dozhim` binary. */
export const dozhim = (args: readonly string[], options: RunOptions = {}): Promise<Proc> =>
  run(process.execPath, [DOZHIM, ...args], options);

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `dozhim-e2e-${prefix}-`));
}

export const removeDir = (dir: string): void => rmSync(dir, { recursive: true, force: true });

/** Lines the sample tests appended to `$SAMPLE_STATE_DIR/ran.log` (one key per test run). */
export function ranLog(stateDir: string): string[] {
  const file = join(stateDir, 'ran.log');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

/** Keys of the flaky tests that already failed once in this state dir (their `flaky-<key>.marker`). */
export function flakyMarkers(stateDir: string): string[] {
  return readdirSync(stateDir)
    .map((f) => /^flaky-(.+)\.marker$/.exec(f)?.[1])
    .filter((k): k is string => k !== undefined)
    .sort();
}

/** Fails the test with a clear message when an external tool is missing (never silently skips). */
export function requireTools(tools: readonly [string, string, string[]][] = []): void {
  for (const t of tools) requireTool(...t);
}

export function requireTool(label: string, file: string, args: string[]): void {
  const r = spawnSync(file, args, { stdio: 'ignore' });
  if (r.error || r.status !== 0) {
    throw new Error(
      `${label} is required by this test but \`${file} ${args.join(' ')}\` failed; run node scripts/ensure-tools.mjs`,
    );
  }
}

export function requireBuilt(): void {
  if (!existsSync(join(REPO, 'retry-cli/dist/bin.js'))) {
    throw new Error('retry-cli is not built: run `npx tsc -b retry-cli` (npm test builds first)');
  }
}

/** The sample suites under test/suites (see test/suites/README.md), as argv run from their folder. */
export interface SampleSuite {
  framework: 'pytest' | 'jest' | 'vitest' | 'mocha' | 'playwright' | 'go';
  dir: string;
  argv: string[];
  /** Environment the framework needs beyond the sample conventions. */
  env?: Record<string, string>;
  /** External tools the suite needs (checked before running, failing with a clear message). */
  tools?: [label: string, file: string, args: string[]][];
}

export function sampleSuite(framework: SampleSuite['framework'], scratch: string): SampleSuite {
  const dir = join(REPO, 'test/suites', framework);
  switch (framework) {
    case 'pytest':
      return {
        framework,
        dir,
        argv: [PYTHON, '-m', 'pytest'],
        tools: [['Debian pytest + pytest-xdist', PYTHON, ['-c', 'import pytest, xdist']]],
      };
    case 'jest':
      return { framework, dir, argv: [BIN('jest')] };
    case 'vitest':
      return { framework, dir, argv: [BIN('vitest'), 'run'] };
    case 'mocha':
      return { framework, dir, argv: [BIN('mocha'), 'tests/*.spec.mjs'] };
    case 'playwright':
      return { framework, dir, argv: [BIN('playwright'), 'test', '--output', join(scratch, 'pw-output')] };
    case 'go':
      return {
        framework,
        dir,
        argv: ['gotestsum', '--', '-count=1', './...'],
        env: { GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local', GOPROXY: 'off' },
        tools: [
          ['go (Debian golang-go)', 'go', ['version']],
          ['gotestsum (Debian)', 'gotestsum', ['--version']],
        ],
      };
  }
}

/** The JUnit file dozhim kept for attempt `n` of the only run in `dozhimState` (`<run>/attempt-n/junit.xml`). */
export function attemptJUnit(dozhimState: string, n: number): string {
  const runs = existsSync(dozhimState) ? readdirSync(dozhimState) : [];
  for (const run of runs) {
    const file = join(dozhimState, run, `attempt-${n}`, 'junit.xml');
    if (existsSync(file)) return file;
  }
  throw new Error(`no attempt-${n}/junit.xml under ${dozhimState} (runs: ${runs.join(', ') || 'none'})`);
}

export interface Summary {
  runId: string;
  exitCode: number;
  line: string;
  outcome: string;
  mode: string;
  attempts: {
    attempt: number;
    threads: number;
    selected?: number;
    total: number;
    passed: number;
    failed: number;
  }[];
  flaky: string[];
  failing: string[];
}

export const readSummary = (file: string): Summary => JSON.parse(readFileSync(file, 'utf8')) as Summary;

/** A fresh scratch layout for one dozhim run: sample state, dozhim state, report and summary paths. */
export function scratchRun(prefix: string) {
  const root = tempDir(prefix);
  const sampleState = join(root, 'sample-state');
  mkdirSync(sampleState);
  return {
    root,
    sampleState,
    dozhimState: join(root, 'dozhim-state'),
    report: join(root, 'report.xml'),
    summary: join(root, 'summary.json'),
    /** Options every e2e run passes: isolated state, known report and summary paths. */
    args(): string[] {
      return ['--state-dir', this.dozhimState, '--report', this.report, '--summary-json', this.summary];
    },
  };
}

export const GENERATED_SUITE = join(REPO, 'test/e2e/suites/generated-suite.mjs');

export interface Service {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts a long-running node service that prints `... listening on http://127.0.0.1:PORT` and returns its
 * URL once that line appears (the reporter and the load service both follow this convention).
 */
export function startService(
  script: string,
  args: readonly string[],
  label: string,
  timeoutMs = 20_000,
): Promise<Service> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let out = '';
    const fail = (why: string) => {
      child.kill('SIGKILL');
      reject(new Error(`${label} did not start: ${why}\n${out}`));
    };
    const timer = setTimeout(() => fail(`no "listening on" line within ${timeoutMs} ms`), timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.stdout.resume();
      child.stderr.resume();
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      resolve({
        url: m[1]!,
        pid: child.pid!,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.once('exit', (code) => fail(`exited with ${code}`));
  });
}

export const startReporter = (dbFile: string): Promise<Service> =>
  startService(REPORTER, ['--port', '0', '--db', dbFile], 'dozhim-reporter');

export const startLoadService = (args: readonly string[] = []): Promise<Service> =>
  startService(join(REPO, 'test/load-service/server.mjs'), args, 'load-service');

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/**
 * The usual frame of an e2e file: the build is checked once, and what each test registers in
 * `cleanups` (temp dirs, servers) is undone after it, newest first. `setup(prefix)` gives a scratch
 * run layout with its own real reporter on a SQLite file inside it.
 */
export function e2eScratch() {
  const cleanups: (() => Promise<void> | void)[] = [];
  beforeAll(requireBuilt);
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  async function setup(prefix: string): Promise<{ s: ReturnType<typeof scratchRun>; reporter: Service }> {
    const s = scratchRun(prefix);
    cleanups.push(() => removeDir(s.root));
    const reporter = await startReporter(join(s.root, 'reporter.db'));
    cleanups.push(() => reporter.stop());
    return { s, reporter };
  }
  return { cleanups, setup };
}
