#!/usr/bin/env node
// `dozhim run` overhead per attempt over running the test command directly (issue #4: < 300 ms).
//
// The command is trivial on purpose (a node script writing a 20-test JUnit file), so what is measured
// is dozhim itself: its start-up, spawning, reading and merging reports, local state, the summary.
//   single  : 1 attempt, all tests pass     overhead = dozhim - direct          (dozhim's start-up included)
//   marginal: each further attempt (2 tests failing persistently, --max-runs 1 vs 3)
//             overhead = (dozhim[3 runs] - dozhim[1 run]) / 2 - direct
// Samples are PAIRED: each iteration times the direct command and dozhim back to back, and the median
// of the per-iteration differences is reported, so load drift on a shared machine hits both sides alike.
// Prints absolute milliseconds and ratios; never fails on a number (see scripts/bench.mjs).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DOZHIM = join(ROOT, 'retry-cli/bin/dozhim.js');
const SUITE = join(ROOT, 'test/e2e/suites/generated-suite.mjs');
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 15);
const BUDGET_MS = 300;

const work = mkdtempSync(join(tmpdir(), 'dozhim-bench-'));
let seq = 0;

function timeRun(args, expectCode) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, {
    cwd: work,
    stdio: 'pipe',
    env: { ...process.env, NO_COLOR: '1' },
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== expectCode) {
    throw new Error(
      `expected exit ${expectCode}, got ${r.status}: ${args.join(' ')}\n${r.stdout}\n${r.stderr}`,
    );
  }
  return ms;
}

const suiteArgs = (junit, fail) => [
  SUITE,
  '--junit',
  junit,
  '--tests',
  '20',
  '--fail',
  String(fail),
  '--persistent',
];

const direct = (fail) => timeRun(suiteArgs(join(work, `direct-${seq++}.xml`), fail), fail > 0 ? 1 : 0);

function viaDozhim(fail, runs, code) {
  const dir = join(work, `run-${seq++}`);
  const args = ['run', '--state-dir', dir, '--report', join(dir, 'report.xml'), '--max-runs', String(runs)];
  const command = [process.execPath, ...suiteArgs('{junit}', fail), '{tests}'];
  return timeRun([DOZHIM, ...args, '--no-stop-on-no-progress', '--', ...command], code);
}

/** Runs `sample` ITERATIONS times after one warm-up; returns the median of each field. */
function pairedMedian(sample) {
  sample();
  const rows = Array.from({ length: ITERATIONS }, sample);
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return Object.fromEntries(Object.keys(rows[0]).map((k) => [k, median(rows.map((r) => r[k]))]));
}

const ms = (x) => `${x.toFixed(0)} ms`;

try {
  const single = pairedMedian(() => {
    const d = direct(0);
    const z = viaDozhim(0, 1, 0);
    return { d, z, overhead: z - d };
  });
  const further = pairedMedian(() => {
    const d = direct(2);
    const one = viaDozhim(2, 1, 1);
    const three = viaDozhim(2, 3, 1);
    return { d, one, three, overhead: (three - one) / 2 - d };
  });
  const load = loadavg()[0].toFixed(1);
  console.log(
    `dozhim run overhead (median of ${ITERATIONS} paired samples; load ${load} on ${cpus().length} cpus)`,
  );
  console.log(`  direct command (20 tests, 1 JUnit file)   ${ms(single.d)}`);
  console.log(
    `  dozhim run, 1 attempt                     ${ms(single.z)}: +${ms(single.overhead)} (${(single.z / single.d).toFixed(2)}x), dozhim start-up included`,
  );
  console.log(
    `  each further attempt (1 vs 3 attempts)    ${ms(further.one)} vs ${ms(further.three)}: +${ms(further.overhead)} over the command (${((further.overhead + further.d) / further.d).toFixed(2)}x)`,
  );
  const worst = Math.max(single.overhead, further.overhead);
  console.log(
    `requirement: < ${BUDGET_MS} ms per attempt -> ${worst < BUDGET_MS ? 'met' : 'NOT MET'} (worst ${ms(worst)})`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
