// Helpers of the honest-*.test.ts end-to-end tests: the real `dozhim` binary on the small suites of
// test/suites/honest/, each run in a fresh scratch layout (see helpers.ts).

import { join } from 'node:path';
import { readJUnitFile, type TestResult } from '@dozhim/core';
import {
  attemptJUnit,
  BIN,
  dozhim,
  type Proc,
  PYTHON,
  REPO,
  ranLog,
  readSummary,
  removeDir,
  requireTools,
  type Summary,
  scratchRun,
} from './helpers.js';

export const HONEST = join(REPO, 'test/suites/honest');

export const GO_ENV = { GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local', GOPROXY: 'off' };
export const GO_TOOLS: [string, string, string[]][] = [
  ['go (Debian golang-go)', 'go', ['version']],
  ['gotestsum (Debian)', 'gotestsum', ['--version']],
];
export const PYTEST_TOOLS: [string, string, string[]][] = [
  ['Debian pytest + pytest-xdist', PYTHON, ['-c', 'import pytest, xdist']],
];

/** The honest suites as argv run from their folder. */
export const HONEST_SUITES = {
  mocha: { dir: join(HONEST, 'mocha'), argv: [BIN('mocha')] },
  jest: { dir: join(HONEST, 'jest'), argv: [BIN('jest')] },
  vitest: { dir: join(HONEST, 'vitest'), argv: [BIN('vitest'), 'run'] },
  pytest: { dir: join(HONEST, 'pytest'), argv: [PYTHON, '-m', 'pytest'] },
  playwright: { dir: join(HONEST, 'playwright'), argv: [BIN('playwright'), 'test'] },
  // Packages through gotestsum's --packages, so a rerun's own --packages (the last one wins) narrows them.
  go: { dir: join(HONEST, 'go'), argv: ['gotestsum', '--packages', './...', '--', '-count=1'] },
} as const;

export interface HonestRun {
  proc: Proc;
  out: string;
  summary: Summary;
  /** Keys the suite's tests logged, in order, over all attempts. */
  ran: string[];
  /** The results of attempt n's own JUnit report, as dozhim kept it. */
  attemptReport(n: number): Promise<TestResult[]>;
  /** The merged report's results. */
  merged(): Promise<TestResult[]>;
  /** Removes the scratch folder. */
  dispose(): void;
}

/**
 * Runs `dozhim run --framework <framework> <flags> -- <argv>` in `cwd` with a fresh SAMPLE_STATE_DIR.
 * `argv` defaults to the suite's own; `env` is added to the sample environment.
 */
export async function runHonest(
  framework: keyof typeof HONEST_SUITES,
  options: {
    flags?: string[];
    env?: Record<string, string>;
    argv?: string[];
    cwd?: string;
    tools?: [string, string, string[]][];
  } = {},
): Promise<HonestRun> {
  requireTools(options.tools ?? []);
  const s = scratchRun(`honest-${framework}`);
  const suite = HONEST_SUITES[framework];
  let argv = options.argv ?? [...suite.argv];
  if (framework === 'playwright') argv = [...argv, '--output', join(s.root, 'pw-output')];
  const proc = await dozhim(
    ['run', '--framework', framework, ...s.args(), ...(options.flags ?? []), '--', ...argv],
    {
      cwd: options.cwd ?? suite.dir,
      env: { ...(framework === 'go' ? GO_ENV : {}), ...options.env, SAMPLE_STATE_DIR: s.sampleState },
      timeoutMs: 120_000,
    },
  );
  const out = `${proc.stdout}\n${proc.stderr}`;
  let summary: Summary;
  try {
    summary = readSummary(s.summary);
  } catch {
    throw new Error(`dozhim wrote no summary (exit ${proc.code}):\n${out}`);
  }
  return {
    proc,
    out,
    summary,
    ran: ranLog(s.sampleState),
    attemptReport: async (n) => (await readJUnitFile(attemptJUnit(s.dozhimState, n))).results,
    merged: async () => (await readJUnitFile(s.report)).results,
    dispose: () => removeDir(s.root),
  };
}

/** The merged report's status of each test, by id. */
export const statuses = (results: readonly TestResult[]): Record<string, string> =>
  Object.fromEntries(results.map((r) => [r.id, r.status]));

/** How often each key was logged. */
export function counts(keys: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) out[k] = (out[k] ?? 0) + 1;
  return out;
}
