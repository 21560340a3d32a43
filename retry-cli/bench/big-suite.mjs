// The test command of the large-run bench (large-run.mjs): writes a JUnit report of N tests in which
// the first F fail with a Java-style stack trace and captured output (~1 KB each, like a real E2E
// failure). It ignores the rerun selection and reports all N tests every attempt (as a framework
// that cannot filter would), so every attempt's report is N tests and dozhim keeps the selected ones.
//   node big-suite.mjs <junit path> <tests> <failing>
import { writeFileSync } from 'node:fs';

const [path, testsArg, failArg] = process.argv.slice(2);
if (!path) {
  // scripts/bench.mjs runs every bench/*.mjs: alone, this test command has nothing to write.
  console.log('big-suite.mjs: the test command of large-run.mjs (run that one)');
  process.exit(0);
}
const tests = Number(testsArg);
const failing = Number(failArg);
const id = (i) => `t${String(i).padStart(6, '0')}`;
const stack = Array.from(
  { length: 10 },
  (_, i) => `\tat com.example.shop.Handler${i}.handle(Handler${i}.java:${40 + i})`,
).join('\n');
const attempt = process.env.DOZHIM_ATTEMPT ?? '1';
const parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n'];
for (let s = 0; s * 1000 < tests; s++) {
  const suite = `com.example.shop.Suite${s}IT`;
  parts.push(`<testsuite name="${suite}">\n`);
  for (let i = s * 1000; i < Math.min(tests, (s + 1) * 1000); i++) {
    const head = `<testcase classname="${suite}" name="${id(i)}" time="0.012"`;
    parts.push(
      i < failing
        ? `${head}><failure message="expected 200 but was 503 (attempt ${attempt})" type="java.lang.AssertionError">java.lang.AssertionError: expected 200 but was 503\n${stack}</failure><system-out>GET /api/cart/${i} -> 503 Service Unavailable (attempt ${attempt})</system-out></testcase>\n`
        : `${head}/>\n`,
    );
  }
  parts.push('</testsuite>\n');
}
parts.push('</testsuites>\n');
writeFileSync(path, parts.join(''));
process.exitCode = failing > 0 ? 1 : 0;
