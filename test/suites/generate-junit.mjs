#!/usr/bin/env node
// Runs every sample suite (test/suites/<fw>) with its real framework and keeps the JUnit XML each one
// writes, so dozhim's reader is tested against what producers really emit, not hand-written XML.
//
//   node test/suites/generate-junit.mjs [outDir]     (default: core/test/fixtures/real)
//
// Every run gets a fresh SAMPLE_STATE_DIR, SAMPLE_FAIL=1 and SAMPLE_ERROR=1, so each report holds passes,
// first-run failures of the flaky tests, the broken test, the unexpected error and the skipped test.
// Frameworks exit non-zero because tests fail: expected. A run only counts as failed when it wrote no
// report, or when its state dir shows the suite broke the env contract (ran.log keys, flaky markers).
// Exit code: 0 when every run is fine, 1 otherwise (with the reason per run).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SUITES = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(SUITES, '../..');
const DEFAULT_OUT = join(REPO, 'core/test/fixtures/real');
const PYTHON = '/usr/bin/python3'; // Debian's python: the pyenv python on PATH has no pytest.
const RUN_TIMEOUT_MS = 240_000;
const CONCURRENCY = 3; // two shared cores; the node frameworks are mostly startup time

const require = createRequire(join(REPO, 'package.json'));

/** Bin script paths → bin names, to print commands as a user would type them (`npx jest ...`). */
const binNames = new Map();

/** argv prefix running an npm package's bin with this node, resolved from the repo's node_modules. */
function npmBin(pkg, bin) {
  const manifestPath = require.resolve(`${pkg}/package.json`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  const script = join(
    dirname(manifestPath),
    typeof manifest.bin === 'string' ? manifest.bin : manifest.bin[bin],
  );
  binNames.set(script, bin);
  return [process.execPath, script];
}

const npmVersion = (pkg) => JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')).version;

/** Tools each framework needs, with the package that provides them (named in the error when missing). */
const TOOLS = {
  pytest: {
    provider: 'Debian packages python3-pytest python3-pytest-xdist python3-pytest-rerunfailures',
    probe: () => works(PYTHON, ['-c', 'import pytest, xdist, pytest_rerunfailures']),
  },
  go: {
    provider: 'Debian packages golang-go and gotestsum',
    probe: () => works('go', ['version']) && works('gotestsum', ['--version']),
  },
  jest: { provider: 'npm packages jest and jest-junit', probe: () => resolvable('jest', 'jest-junit') },
  vitest: { provider: 'npm package vitest', probe: () => resolvable('vitest') },
  mocha: {
    provider: 'npm packages mocha and mocha-junit-reporter',
    probe: () => resolvable('mocha', 'mocha-junit-reporter'),
  },
  playwright: { provider: 'npm package @playwright/test', probe: () => resolvable('@playwright/test') },
};

function works(cmd, args) {
  return spawnSync(cmd, args, { stdio: 'ignore', timeout: 30_000 }).status === 0;
}

function resolvable(...pkgs) {
  try {
    for (const p of pkgs) require.resolve(`${p}/package.json`);
    return true;
  } catch {
    return false;
  }
}

/**
 * The test keys each suite logs to ran.log (README "Tests and keys"), and which of them are flaky.
 * Checked after every run, so a suite that stops honouring the contract fails here, not in an e2e test.
 */
const JS_KEYS = ['arith.add', 'arith.multiply', 'arith.flaky', 'arith.broken'].concat([
  'text.join',
  'text.upper',
  'text.flaky',
  'text.hostile',
  'text.error',
]);
const KEYS = {
  js: { ran: JS_KEYS, flaky: ['arith.flaky', 'text.flaky', 'text.hostile'] },
  pytest: {
    ran: [...JS_KEYS, 'params.param-1', 'params.param-2'],
    flaky: ['arith.flaky', 'params.param-2', 'text.flaky', 'text.hostile'],
  },
  go: {
    ran: [...JS_KEYS.filter((k) => k !== 'text.error'), 'subtests.alpha', 'subtests.beta'],
    flaky: ['arith.flaky', 'subtests.beta', 'text.flaky', 'text.hostile'],
  },
};
const keysOf = (cwd) => KEYS[cwd] ?? KEYS.js;

const GO_ENV = { GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod', GOPROXY: 'off' };

/**
 * One report per entry. `command(out, state)` gives argv (argv[0] is run as is, no shell) and extra env.
 * The order puts the slowest runs (Playwright) first so they overlap with the quick ones.
 */
const RUNS = [
  {
    file: 'playwright.xml',
    tool: 'playwright',
    cwd: 'playwright',
    command: (out, state) => ({
      argv: [...npmBin('@playwright/test', 'playwright'), 'test', '--reporter=junit'],
      args: ['--output', join(state, 'playwright-artifacts')],
      env: { PLAYWRIGHT_JUNIT_OUTPUT_NAME: out },
    }),
  },
  {
    // Playwright's own retries, reported Surefire-style (<flakyFailure>/<rerunFailure>) on request.
    file: 'playwright-retries.xml',
    tool: 'playwright',
    cwd: 'playwright',
    command: (out, state) => ({
      argv: [...npmBin('@playwright/test', 'playwright'), 'test', '--reporter=junit'],
      args: ['--retries', '1', '--output', join(state, 'playwright-artifacts')],
      env: { PLAYWRIGHT_JUNIT_OUTPUT_NAME: out, PLAYWRIGHT_JUNIT_INCLUDE_RETRIES: '1' },
    }),
  },
  {
    file: 'pytest-xunit1.xml',
    tool: 'pytest',
    cwd: 'pytest',
    command: (out) => ({
      argv: [PYTHON, '-m', 'pytest', '-o', 'junit_family=xunit1', `--junitxml=${out}`],
      env: { SAMPLE_TEARDOWN_ERROR: '1' },
    }),
  },
  {
    // xunit2 is pytest's default family; two xdist workers also exercise parallel writers of ran.log.
    file: 'pytest-xunit2.xml',
    tool: 'pytest',
    cwd: 'pytest',
    command: (out) => ({
      argv: [PYTHON, '-m', 'pytest', '-o', 'junit_family=xunit2', '-n', '2', `--junitxml=${out}`],
      env: { SAMPLE_TEARDOWN_ERROR: '1' },
    }),
  },
  {
    file: 'pytest-rerunfailures.xml',
    tool: 'pytest',
    cwd: 'pytest',
    command: (out) => ({ argv: [PYTHON, '-m', 'pytest', '--reruns', '1', `--junitxml=${out}`], env: {} }),
  },
  {
    file: 'jest.xml',
    tool: 'jest',
    cwd: 'jest',
    command: (out) => ({
      argv: [...npmBin('jest', 'jest'), '--ci', '--config', 'jest.config.cjs'],
      args: ['--reporters=default', '--reporters=jest-junit'],
      env: { JEST_JUNIT_OUTPUT_FILE: out },
    }),
  },
  {
    file: 'jest-file-attribute.xml',
    tool: 'jest',
    cwd: 'jest',
    command: (out) => ({
      argv: [...npmBin('jest', 'jest'), '--ci', '--config', 'jest.config.cjs'],
      args: ['--reporters=default', '--reporters=jest-junit'],
      env: { JEST_JUNIT_OUTPUT_FILE: out, JEST_JUNIT_ADD_FILE_ATTRIBUTE: 'true' },
    }),
  },
  {
    file: 'vitest.xml',
    tool: 'vitest',
    cwd: 'vitest',
    command: (out) => ({
      argv: [...npmBin('vitest', 'vitest'), 'run', '--config', 'vitest.config.mjs'],
      args: ['--reporter=junit', `--outputFile=${out}`],
      env: {},
    }),
  },
  {
    // includePending: without it mocha-junit-reporter silently drops skipped tests from the report.
    file: 'mocha.xml',
    tool: 'mocha',
    cwd: 'mocha',
    command: (out) => ({
      argv: [...npmBin('mocha', 'mocha'), '--reporter', 'mocha-junit-reporter'],
      args: ['--reporter-option', `mochaFile=${out}`, '--reporter-option', 'includePending=true'],
      env: {},
    }),
  },
  {
    file: 'go-gotestsum.xml',
    tool: 'go',
    cwd: 'go',
    command: (out) => ({
      argv: ['gotestsum', '--format', 'standard-quiet', '--junitfile', out, '--', './...'],
      env: GO_ENV,
    }),
  },
];

/** The caller's environment minus anything that would steer a framework (we may run inside vitest). */
function baseEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(VITEST|JEST_|PLAYWRIGHT_|PYTEST_|MOCHA_|SAMPLE_)/.test(k)) continue;
    if (k === 'TEST' || k === 'NODE_ENV' || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  return { ...env, NO_COLOR: '1', FORCE_COLOR: '0', PYTHONDONTWRITEBYTECODE: '1' };
}

function runOnce(run, outDir) {
  const out = join(outDir, run.file);
  rmSync(out, { force: true }); // a stale report must never pass for a fresh one
  const state = mkdtempSync(join(tmpdir(), `dozhim-sample-${run.cwd}-`));
  const { argv, args = [], env } = run.command(out, state);
  const [cmd, ...rest] = argv;
  const started = Date.now();
  return new Promise((done) => {
    const child = spawn(cmd, [...rest, ...args], {
      cwd: join(SUITES, run.cwd),
      env: { ...baseEnv(), SAMPLE_STATE_DIR: state, SAMPLE_FAIL: '1', SAMPLE_ERROR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: RUN_TIMEOUT_MS,
    });
    let output = '';
    const keep = (chunk) => {
      output = (output + chunk).slice(-4000); // the tail is enough to explain a missing report
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const finish = (code, spawnError) => {
      const contract = contractProblem(state, keysOf(run.cwd));
      rmSync(state, { recursive: true, force: true });
      const written = reportWritten(out);
      done({ file: run.file, code, ms: Date.now() - started, written, contract, output, spawnError });
    };
    child.on('error', (e) => finish(null, e.message));
    child.on('close', (code) => finish(code));
  });
}

/** Why the state dir does not match the contract (every test logged its key, markers = flaky keys), or ''. */
function contractProblem(state, keys) {
  const read = (name) => {
    try {
      return readFileSync(join(state, name), 'utf8');
    } catch {
      return '';
    }
  };
  const sorted = (xs) => [...new Set(xs)].sort().join(' ');
  const ran = sorted(read('ran.log').split('\n').filter(Boolean));
  const markers = sorted(
    readdirSync(state)
      .filter((f) => f.startsWith('flaky-') && f.endsWith('.marker'))
      .map((f) => f.slice('flaky-'.length, -'.marker'.length)),
  );
  const problems = [];
  if (ran !== sorted(keys.ran)) problems.push(`ran.log keys [${ran}], expected [${sorted(keys.ran)}]`);
  if (markers !== sorted(keys.flaky)) problems.push(`markers [${markers}], expected [${sorted(keys.flaky)}]`);
  return problems.join('; ');
}

function reportWritten(path) {
  try {
    return statSync(path).size > 0;
  } catch {
    return false;
  }
}

/** Runs `tasks` (functions returning promises) with at most `limit` in flight, results in input order. */
async function pool(tasks, limit) {
  const results = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

function commandOutput(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 });
  return r.status === 0 ? r.stdout.trim() : `unknown (${cmd} ${args.join(' ')} failed)`;
}

function versionsMarkdown() {
  const py = (code) => commandOutput(PYTHON, ['-c', code]);
  const dist = (name) => `import importlib.metadata as m; print(m.version('${name}'))`;
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own field syntax, not a JS placeholder
  const debian = (pkg) => commandOutput('dpkg-query', ['-W', '-f=${Version}', pkg]);
  const rows = [
    ['node', process.version, 'runs the JavaScript frameworks'],
    ['python3 (Debian)', py('import platform; print(platform.python_version())'), PYTHON],
    ['pytest', py(dist('pytest')), `Debian python3-pytest ${debian('python3-pytest')}`],
    [
      'pytest-xdist',
      py(dist('pytest-xdist')),
      `Debian python3-pytest-xdist ${debian('python3-pytest-xdist')}`,
    ],
    [
      'pytest-rerunfailures',
      py(dist('pytest-rerunfailures')),
      `Debian python3-pytest-rerunfailures ${debian('python3-pytest-rerunfailures')}`,
    ],
    ['go', commandOutput('go', ['env', 'GOVERSION']), `Debian golang-go ${debian('golang-go')}`],
    ['gotestsum', debian('gotestsum'), '`gotestsum --version` prints "dev" in the Debian build'],
    ...['jest', 'jest-junit', 'vitest', 'mocha', 'mocha-junit-reporter', '@playwright/test'].map((p) => [
      p,
      npmVersion(p),
      'npm (repo devDependency)',
    ]),
  ];
  const files = RUNS.map((r) => {
    const { argv, args = [], env } = r.command('<out>', '<state>');
    const shown = argv[0] === process.execPath ? ['npx', binNames.get(argv[1]), ...argv.slice(2)] : argv;
    const envText = Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    const text = [envText, ...shown, ...args].join(' ').trim();
    return `| \`${r.file}\` | \`test/suites/${r.cwd}\` | \`${text}\` |`;
  });
  return [
    '# Real-framework JUnit fixtures',
    '',
    'Produced by `node test/suites/generate-junit.mjs` from the sample suites in `test/suites/`;',
    'every run had a fresh `SAMPLE_STATE_DIR`, `SAMPLE_FAIL=1` and `SAMPLE_ERROR=1` (see test/suites/README.md).',
    'Do not edit the XML by hand: regenerate it. Absolute paths in stack traces are those of the generating machine.',
    '',
    '## Tool versions',
    '',
    '| tool | version | source |',
    '| --- | --- | --- |',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
    '## Files',
    '',
    '| file | suite | command (run in the suite folder) |',
    '| --- | --- | --- |',
    ...files,
    '',
  ].join('\n');
}

async function main() {
  const outDir = resolve(process.argv[2] ?? DEFAULT_OUT);
  const missing = Object.entries(TOOLS).filter(([, t]) => !t.probe());
  if (missing.length > 0) {
    for (const [name, t] of missing)
      console.error(`generate-junit: ${name} is missing: install ${t.provider}`);
    process.exit(1);
  }
  mkdirSync(outDir, { recursive: true });
  const results = await pool(
    RUNS.map((run) => () => runOnce(run, outDir)),
    CONCURRENCY,
  );
  let failed = 0;
  for (const r of results) {
    const how = `exit ${r.code ?? r.spawnError}, ${(r.ms / 1000).toFixed(1)} s`;
    if (r.written && !r.contract) {
      console.log(`ok   ${r.file} (${how})`);
    } else {
      failed++;
      const why = r.written ? `the suite broke its env contract: ${r.contract}` : 'no report written';
      console.error(`FAIL ${r.file}: ${why} (${how})\n${r.output}`);
    }
  }
  writeFileSync(join(outDir, 'VERSIONS.md'), versionsMarkdown());
  if (failed > 0) process.exit(1);
}

await main();
