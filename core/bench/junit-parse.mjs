// Reader/writer throughput on a ~50 MB JUnit report with a realistic mix: mostly passes, failures
// with Java-style stack traces and captured output, errors, skips, Surefire flaky evidence, CDATA and
// escaped text. Each figure is printed next to its limit measured in the same run: the reader against a
// bare saxes streaming pass over the same file (speed and peak RSS), each pass in a fresh process
// (junit-parse-run.mjs), interleaved, ratios as medians of pairs.
// Run after `npx tsc -b core`: node core/bench/junit-parse.mjs [megabytes] [pairs] [split]
// (`split`: also where the reader's time goes, stage by stage, see junit-parse-run.mjs)

import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync, statSync, truncateSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readJUnitFile } from '../dist/index.js';

const targetMb = Number(process.argv[2] ?? 50);
const pairs = Number(process.argv[3] ?? 3);
const withSplit = process.argv[4] === 'split';
const RUN = fileURLToPath(new URL('./junit-parse-run.mjs', import.meta.url));
const dir = mkdtempSync(join(os.tmpdir(), 'dozhim-bench-'));
const path = join(dir, 'report.xml');

const stack = Array.from(
  { length: 25 },
  (_, i) => `\tat com.example.shop.service${i % 5}.Handler${i}.handle(Handler${i}.java:${40 + i})`,
).join('\n');
const log = (n) =>
  Array.from(
    { length: n },
    (_, i) => `2026-01-05T10:00:${String(i % 60).padStart(2, '0')} INFO request ${i} -> 200 OK (12 ms)`,
  ).join('\n');

function testcase(suite, i) {
  const k = i % 20;
  const head = `    <testcase name="scenario ${i} &lt;checkout&gt; [param-${k}]" classname="${suite}" time="${(k * 0.137).toFixed(3)}"`;
  if (k === 0) {
    return `${head}>\n      <failure message="expected:&lt;200&gt; but was:&lt;503&gt;" type="java.lang.AssertionError"><![CDATA[java.lang.AssertionError: expected:<200> but was:<503>\n${stack}]]></failure>\n      <system-out><![CDATA[${log(30)}]]></system-out>\n      <system-err>WARN slow &amp; flaky backend</system-err>\n    </testcase>\n`;
  }
  if (k === 1)
    return `${head}>\n      <error message="Connection refused" type="java.net.ConnectException">${stack}</error>\n    </testcase>\n`;
  if (k === 2) return `${head}>\n      <skipped message="disabled on CI"/>\n    </testcase>\n`;
  if (k === 3) {
    return `${head}>\n      <flakyFailure message="timeout" type="java.util.concurrent.TimeoutException"><stackTrace>${stack}</stackTrace><system-out>${log(5)}</system-out></flakyFailure>\n    </testcase>\n`;
  }
  if (k < 8) return `${head}>\n      <system-out>${log(4)}</system-out>\n    </testcase>\n`;
  return `${head}/>\n`;
}

async function generate() {
  const out = createWriteStream(path);
  const write = async (s) => {
    if (!out.write(s)) await once(out, 'drain');
  };
  await write('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="bench">\n');
  let bytes = 0;
  let cases = 0;
  for (let s = 0; bytes < targetMb * 1024 * 1024; s++) {
    const suite = `com.example.shop.Suite${s}IT`;
    let chunk = `  <testsuite name="${suite}" tests="200">\n    <properties><property name="browser" value="chromium"/></properties>\n`;
    for (let i = 0; i < 200; i++, cases++) chunk += testcase(suite, i);
    chunk += '  </testsuite>\n';
    bytes += Buffer.byteLength(chunk);
    await write(chunk);
  }
  await write('</testsuites>\n');
  out.end();
  await once(out, 'finish');
  return cases;
}

const mb = (bytes) => bytes / (1024 * 1024);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const run = (mode) =>
  JSON.parse(execFileSync(process.execPath, ['--expose-gc', RUN, mode, path], { encoding: 'utf8' }));
const range = (xs, f) => `${f(Math.min(...xs))}–${f(Math.max(...xs))}`;
/** Every value, in run order, for figures whose spread matters. */
const each = (xs, f) => xs.map(f).join(', ');

try {
  const cases = await generate();
  const size = mb(statSync(path).size);
  // The generator's garbage, collected before the measured children start.
  globalThis.gc?.();
  const loads = [os.loadavg()[0]];
  const bare = [];
  const reader = [];
  for (let i = 0; i < pairs; i++) {
    // Alternate which goes first, so a load change favours neither.
    const pair = i % 2 === 0 ? [run('saxes'), run('reader')] : [run('reader'), run('saxes')].reverse();
    bare.push(pair[0]);
    reader.push(pair[1]);
    loads.push(os.loadavg()[0]);
  }
  // The writer in its own process (its output would count in the reader's peak RSS).
  const written = run('write');
  const speed = (r) => size / (r.ms / 1000);
  const cpuSpeed = (r) => size / (r.cpuMs / 1000);
  const speedRatio = median(reader.map((r, i) => speed(r) / speed(bare[i])));
  const cpuRatio = median(reader.map((r, i) => cpuSpeed(r) / cpuSpeed(bare[i])));
  const rssRatio = median(reader.map((r, i) => r.maxRssMb / bare[i].maxRssMb));
  const cpus = os.cpus();
  const fmt1 = (x) => x.toFixed(1);
  const fmt0 = (x) => x.toFixed(0);
  const fmt2 = (x) => x.toFixed(2);
  console.log(
    `junit-parse: ${size.toFixed(1)} MB, ${cases} testcases (${reader[0].results} results), ${pairs} interleaved pairs` +
      ` on ${cpus.length} cores (${cpus[0]?.model ?? '?'}), load average ${range(loads, fmt1)}`,
  );
  console.log(
    `  reader (readJUnitFile): ${range(reader.map(speed), fmt1)} MB/s, ${range(
      reader.map((r) => cases / (r.ms / 1000)),
      fmt0,
    )} testcases/s, peak RSS ${each(
      reader.map((r) => r.maxRssMb),
      fmt0,
    )} MB (run order)`,
  );
  console.log(
    `  bare saxes pass:        ${range(bare.map(speed), fmt1)} MB/s, peak RSS ${each(
      bare.map((r) => r.maxRssMb),
      fmt0,
    )} MB`,
  );
  const verdict = (ok) => (ok ? 'ok' : 'MISSED');
  console.log(
    `  speed vs bare saxes: ${speedRatio.toFixed(2)}x wall clock (limit >= 0.5x: ${verdict(speedRatio >= 0.5)}); ` +
      `${cpuRatio.toFixed(2)}x in CPU time (${range(reader.map(cpuSpeed), fmt1)} vs ${range(bare.map(cpuSpeed), fmt1)} MB/s; ` +
      `what the load on a shared machine distorts least): ${verdict(cpuRatio >= 0.5)}`,
  );
  console.log(`  peak RSS vs bare saxes: ${rssRatio.toFixed(2)}x (limit <= 2x: ${verdict(rssRatio <= 2)})`);
  console.log(
    `  heap the results keep after the read (gc): ${range(
      reader.map((r) => r.heapMb),
      fmt0,
    )} MB` +
      ` (peak RSS minus that: ${fmt2(median(reader.map((r, i) => (r.maxRssMb - r.heapMb) / bare[i].maxRssMb)))}x the bare pass)`,
  );
  console.log(
    `  write merged report: ${fmt0(written.writeMs)} ms, ${fmt1(written.writtenMb)} MB out (${(written.writeMs / written.ms).toFixed(2)}x the read in the same process), peak RSS ${fmt0(written.maxRssMb)} MB for read + write`,
  );
  console.log(`  counts: ${JSON.stringify(reader[0].counts)}`);
  if (withSplit) {
    const s = run('split');
    console.log(
      `  stages (CPU ms, fastest of 5 in one warm process, whole file in memory): cleaning ${fmt0(s.clean)}, ` +
        `bare saxes over the cleaned text ${fmt0(s.saxes)}, tree builder (saxes + kept elements) ${fmt0(s.tree)}, ` +
        `parseJUnit ${fmt0(s.parse)} (${fmt2(s.saxes / s.parse)}x saxes), of which GC pauses ${fmt0(s.gcPausesMs)}`,
    );
  }

  // A report cut off mid-write (a killed CI job): the parser has to reach the end to notice, then the
  // error path reads the file again to say where it ends.
  truncateSync(path, Math.floor(statSync(path).size * 0.6));
  const t2 = performance.now();
  const code = await readJUnitFile(path).then(
    () => 'accepted (!)',
    (e) => e.code,
  );
  console.log(`  truncated at 60 %: rejected as ${code} in ${(performance.now() - t2).toFixed(0)} ms`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
