#!/usr/bin/env node
// A generated "suite" for the generic adapter: N tests `gen::t001…`, some failing, reported as JUnit.
// It behaves like a real runner for the policy tests (many failures, persistent failures, slow attempts,
// crashes) without the cost of a real framework.
//
//   node generated-suite.mjs --junit <path> [--tests N] [--fail K] [--persistent]
//        [--hang-on-attempt A --attempt A'] [--pid-file F] [--crash] [--hostile] [--shard K/N] [ids…]
//
// Ids (the generic adapter's `{tests}`) select tests; none = all. Test i ≤ K fails: always with
// --persistent, else only the first time it runs for $SAMPLE_STATE_DIR (flaky). Every executed test
// appends its id to $SAMPLE_STATE_DIR/ran.log. --hostile names test 1 with quotes, brackets, unicode,
// regex and shell syntax (HOSTILE_NAME), to check that selection passes names as data.
// --crash aborts (SIGABRT) before writing any report.
// --hang-on-attempt: when --attempt equals it, start a grandchild `sleep` (its pid and ours go to
// --pid-file) and wait forever, so signal forwarding to the whole process group can be checked.
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    junit: { type: 'string' },
    tests: { type: 'string', default: '10' },
    fail: { type: 'string', default: '0' },
    persistent: { type: 'boolean', default: false },
    attempt: { type: 'string', default: '1' },
    'hang-on-attempt': { type: 'string' },
    'pid-file': { type: 'string' },
    crash: { type: 'boolean', default: false },
    hostile: { type: 'boolean', default: false },
    shard: { type: 'string' },
  },
});

if (values.crash) process.abort();
if (!values.junit) {
  console.error('generated-suite: --junit <path> is required');
  process.exit(2);
}

const state = process.env.SAMPLE_STATE_DIR ?? '';
const total = Number(values.tests);
const failCount = Number(values.fail);
// Shell syntax included: if any layer handed names to a shell unquoted, `pwned` would appear in cwd.
const HOSTILE_NAME = `t001 hostile "double" 'single' [param-1] ünïcødé ✓ .*+?^$()|{}\\ $(touch pwned); \`touch pwned\``;
const name = (i) => (i === 0 && values.hostile ? HOSTILE_NAME : `t${String(i + 1).padStart(3, '0')}`);
const all = Array.from({ length: total }, (_, i) => `gen::${name(i)}`);
// --shard K/N: the deterministic split of a sharded pipeline: test i (0-based) belongs to shard i mod N + 1.
const [shardIndex, shardTotal] = (values.shard ?? '1/1').split('/').map(Number);
const mine = all.filter((_, i) => i % shardTotal === shardIndex - 1);
const selected = positionals.length > 0 ? mine.filter((id) => positionals.includes(id)) : mine;

/** True the first time `id` runs for this state dir (an O_EXCL marker), like the sample suites. */
function firstRun(id) {
  if (!state) return false;
  try {
    writeFileSync(join(state, `flaky-${all.indexOf(id) + 1}.marker`), '', { flag: 'wx' });
    return true;
  } catch {
    return false;
  }
}

const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
const cases = selected.map((id) => {
  if (state) appendFileSync(join(state, 'ran.log'), `${id}\n`);
  const n = all.indexOf(id) + 1;
  const fails = n <= failCount && (values.persistent || firstRun(id));
  const testName = id.slice('gen::'.length);
  const body = fails ? `<failure message="test ${n} failed" type="AssertionError">boom</failure>` : '';
  return { fails, xml: `<testcase classname="gen" name="${esc(testName)}" time="0.001">${body}</testcase>` };
});

if (values['hang-on-attempt'] && values['hang-on-attempt'] === values.attempt) {
  const child = spawn('sleep', ['300'], { stdio: 'ignore' });
  if (values['pid-file']) writeFileSync(values['pid-file'], `${process.pid} ${child.pid}\n`);
  console.log(
    `generated-suite: hanging in attempt ${values.attempt} (pid ${process.pid}, sleep ${child.pid})`,
  );
  setInterval(() => {}, 1000);
} else {
  const failures = cases.filter((c) => c.fails).length;
  mkdirSync(dirname(values.junit), { recursive: true });
  writeFileSync(
    values.junit,
    `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites><testsuite name="gen" tests="${cases.length}" failures="${failures}">\n${cases
      .map((c) => c.xml)
      .join('\n')}\n</testsuite></testsuites>\n`,
  );
  console.log(`generated-suite: ${cases.length} tests, ${failures} failed`);
  process.exitCode = failures > 0 ? 1 : 0;
}
