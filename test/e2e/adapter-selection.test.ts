// Proves with the REAL frameworks that each adapter's selection is exact: run a sample suite once (its
// flaky and hostile-named tests fail the first time), select exactly the failed tests with the adapter,
// run again, and check from the framework's own report and from ran.log that those tests and no others ran.
// This exercises the adapters without the CLI; cli-frameworks.test.ts does the same through `dozhim run`.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readJUnitFile, type TestResult } from '@dozhim/core';
import { afterEach, describe, expect, it } from 'vitest';
import { applyAdditions, getAdapter, mergeEnv } from '../../retry-cli/src/adapters/index.js';
import type { CommandAdditions, TestRef } from '../../retry-cli/src/adapters/types.js';
import {
  flakyMarkers,
  PYTHON,
  REPO,
  ranLog,
  removeDir,
  requireTools,
  run,
  type SampleSuite,
  sampleSuite,
  tempDir,
} from './helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) removeDir(d);
});

async function runOnce(suite: SampleSuite, stateDir: string, junitPath: string, extra: CommandAdditions[]) {
  const adapter = getAdapter(suite.framework);
  const ctx = { cwd: suite.dir, junitPath, threads: 2 };
  const additions = [adapter.report(ctx), adapter.threads(ctx), ...extra];
  const [file, ...args] = applyAdditions(suite.argv, additions);
  const proc = await run(file!, args, {
    cwd: suite.dir,
    env: { ...suite.env, ...mergeEnv(additions), SAMPLE_STATE_DIR: stateDir },
    timeoutMs: 120_000,
  });
  const report = await readJUnitFile(junitPath).catch((e: Error) => {
    throw new Error(
      `${suite.framework} wrote no readable report (${e.message}); exit ${proc.code}\n${proc.stdout}\n${proc.stderr}`,
    );
  });
  return { proc, results: report.results };
}

const ran = (results: TestResult[]): string[] =>
  results
    .filter((r) => r.status !== 'skipped')
    .map((r) => r.id)
    .sort();
const failed = (results: TestResult[]): TestResult[] =>
  results.filter((r) => r.status === 'failed' || r.status === 'error');
const toRef = (r: TestResult): TestRef => ({
  id: r.id,
  suite: r.suite,
  classname: r.classname,
  name: r.name,
  ...(r.file ? { file: r.file } : {}),
});

type Case = [label: string, suite: (scratch: string) => SampleSuite];
const CASES: Case[] = [
  ...(['pytest', 'jest', 'vitest', 'mocha', 'playwright', 'go'] as const).map(
    (fw): Case => [fw, (scratch) => sampleSuite(fw, scratch)],
  ),
  // The README demo's shape: the command names a directory, so pytest would run the union of it and
  // the node ids; the adapter's plugin must still keep exactly the selected tests.
  [
    'pytest with a directory argument, from the repo root',
    (scratch) => ({
      ...sampleSuite('pytest', scratch),
      dir: REPO,
      argv: [PYTHON, '-m', 'pytest', 'test/suites/pytest'],
    }),
  ],
];

describe.each(CASES)('%s: adapter selection on the real framework', (label, makeSuite) => {
  it('re-runs exactly the tests that failed, hostile name included', async () => {
    const scratch = tempDir(`select-${label.split(' ')[0]}`);
    dirs.push(scratch);
    const suite = makeSuite(scratch);
    const { framework } = suite;
    requireTools(suite.tools);
    const state = join(scratch, 'state');
    mkdirSync(state);

    const first = await runOnce(suite, state, join(scratch, 'a1', 'junit.xml'), []);
    const targets = failed(first.results);
    expect(
      targets.length,
      `${framework}: the flaky tests fail on the first run\n${first.proc.stdout}`,
    ).toBeGreaterThanOrEqual(2);
    expect(targets.some((t) => t.name.includes('hostile'))).toBe(true);
    const ranBefore = ranLog(state).length;

    const ctx = { cwd: suite.dir, junitPath: join(scratch, 'a2', 'junit.xml'), threads: 2 };
    const selection = getAdapter(framework).select(targets.map(toRef), ctx);
    const second = await runOnce(suite, state, ctx.junitPath, [selection]);

    // The framework's own report: the selected tests ran (and passed now), nothing else ran.
    expect(ran(second.results)).toEqual(targets.map((t) => t.id).sort());
    expect(failed(second.results)).toEqual([]);
    // The tests' own trace: exactly one execution per flaky test, no other test body ran.
    expect(ranLog(state).slice(ranBefore).sort()).toEqual(flakyMarkers(state));
    expect(second.proc.code, second.proc.stdout + second.proc.stderr).toBe(0);
  });
});
