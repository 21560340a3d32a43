#!/usr/bin/env node
// A large run end to end (issue #11): `dozhim run` of 3 attempts over a command that reports 100k
// tests every attempt (big-suite.mjs; 30k fail each time with a trace and output), merged report
// included. Prints, each next to its limit measured in the same run:
//   - dozhim's own peak RSS (VmHWM, its process only) vs 500 MB;
//   - its wall time vs the same 3 commands run directly;
//   - the merged report's size vs the byte cap of dozhim's reader, and whether dozhim reads it back.
// 30k failing, not 100k: a rerun passes the selected ids as arguments, and 100k ids exceed the kernel's
// argument limit (E2BIG) whatever dozhim does. Never fails on a number (see scripts/bench.mjs).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_MAX_INPUT_BYTES, readJUnitFile } from '../../core/dist/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DOZHIM = join(ROOT, 'retry-cli/bin/dozhim.js');
const SUITE = join(ROOT, 'retry-cli/bench/big-suite.mjs');
const PEAK = join(ROOT, 'retry-cli/bench/peak-rss.mjs');
const TESTS = Number(process.env.BENCH_TESTS ?? 100_000);
const FAILING = Number(process.env.BENCH_FAILING ?? 30_000);
const LIMIT_MB = 500;

const work = mkdtempSync(join(tmpdir(), 'dozhim-bench-large-'));
const mb = (bytes) => bytes / (1024 * 1024);

function timed(args, env = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, {
    cwd: work,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, status: r.status, stderr: String(r.stderr) };
}

try {
  console.log(
    `large run: dozhim run, 3 attempts x ${TESTS} tests (${FAILING} failing each time), ${cpus().length} cpus, load ${loadavg()[0].toFixed(1)}`,
  );
  // The commands alone: the same generator, 3 times.
  let directMs = 0;
  for (let a = 1; a <= 3; a++)
    directMs += timed([SUITE, join(work, `direct-${a}.xml`), String(TESTS), String(FAILING)]).ms;

  const report = join(work, 'report.xml');
  const rssFile = join(work, 'rss.json');
  const run = timed(
    [
      '--import',
      PEAK,
      DOZHIM,
      'run',
      '--state-dir',
      join(work, 'state'),
      '--report',
      report,
      '--max-runs',
      '3',
      '--max-failed',
      '100%',
      '--no-stop-on-no-progress',
      '--',
      process.execPath,
      SUITE,
      '{junit}',
      String(TESTS),
      String(FAILING),
    ],
    { DOZHIM_BENCH_RSS_FILE: rssFile },
  );
  if (run.status !== 1)
    throw new Error(`dozhim run: expected exit 1 (tests still failing), got ${run.status}\n${run.stderr}`);
  const { rssMb } = JSON.parse(readFileSync(rssFile, 'utf8'));
  console.log(
    `  dozhim peak RSS: ${rssMb.toFixed(0)} MB (limit <= ${LIMIT_MB} MB: ${(rssMb / LIMIT_MB).toFixed(2)}x, ${rssMb <= LIMIT_MB ? 'met' : 'NOT MET'})`,
  );
  console.log(
    `  wall time: ${(run.ms / 1000).toFixed(1)} s vs ${(directMs / 1000).toFixed(1)} s for the 3 commands alone (${(run.ms / directMs).toFixed(2)}x)`,
  );
  const size = statSync(report).size;
  const t0 = performance.now();
  const back = await readJUnitFile(report).then(
    (r) =>
      `read back by dozhim's reader: ${r.results.length} tests, ${r.counts.failed + r.counts.error} failing`,
    (e) => `NOT READABLE by dozhim's reader: ${e.code}: ${e.message}`,
  );
  console.log(
    `  merged report: ${mb(size).toFixed(1)} MB (reader cap ${mb(DEFAULT_MAX_INPUT_BYTES).toFixed(0)} MiB: ${(size / DEFAULT_MAX_INPUT_BYTES).toFixed(2)}x); ${back} in ${(performance.now() - t0).toFixed(0)} ms`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
