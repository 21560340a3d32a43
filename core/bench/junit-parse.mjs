// Reader/writer throughput on a ~50 MB JUnit report with a realistic mix: mostly passes, failures
// with Java-style stack traces and captured output, errors, skips, Surefire flaky evidence, CDATA and
// escaped text. Run after `npx tsc -b core`: node core/bench/junit-parse.mjs [megabytes]

import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync, statSync, truncateSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { readJUnitFile, writeMergedJUnit } from '../dist/index.js';

const targetMb = Number(process.argv[2] ?? 50);
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
const rssMb = () => mb(process.memoryUsage().rss);
try {
  const cases = await generate();
  const size = statSync(path).size;
  globalThis.gc?.();
  const rssBefore = rssMb();
  let peak = rssBefore;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb());
  }, 5);

  const t0 = performance.now();
  const report = await readJUnitFile(path);
  const parseMs = performance.now() - t0;
  peak = Math.max(peak, rssMb(), process.resourceUsage().maxRSS / 1024);
  clearInterval(sampler);

  const t1 = performance.now();
  const xml = writeMergedJUnit([{ number: 1, results: report.results }], { name: 'bench' });
  const writeMs = performance.now() - t1;

  const seconds = parseMs / 1000;
  const cpus = os.cpus();
  console.log(
    `junit-parse: ${mb(size).toFixed(1)} MB, ${cases} testcases (${report.results.length} results)` +
      ` on ${cpus.length} cores (${cpus[0]?.model ?? '?'}), load average ${os.loadavg()[0].toFixed(1)}`,
  );
  console.log(
    `  parse: ${parseMs.toFixed(0)} ms, ${(mb(size) / seconds).toFixed(1)} MB/s, ${Math.round(cases / seconds)} testcases/s`,
  );
  console.log(
    `  memory: RSS ${rssBefore.toFixed(0)} MB before, peak ${peak.toFixed(0)} MB (+${(peak - rssBefore).toFixed(0)} MB, ${((peak - rssBefore) / mb(size)).toFixed(1)}x the input)`,
  );
  console.log(
    `  write merged report: ${writeMs.toFixed(0)} ms, ${mb(Buffer.byteLength(xml)).toFixed(1)} MB out`,
  );
  console.log(`  counts: ${JSON.stringify(report.counts)}`);

  // A report cut off mid-write (a killed CI job): the validator has to reach the end to notice.
  truncateSync(path, Math.floor(size * 0.6));
  const t2 = performance.now();
  const code = await readJUnitFile(path).then(
    () => 'accepted (!)',
    (e) => e.code,
  );
  console.log(`  truncated at 60 %: rejected as ${code} in ${(performance.now() - t2).toFixed(0)} ms`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
