// The JUnit reader against what real frameworks write. The sample suites in test/suites/ are run by
// test/suites/generate-junit.mjs DURING this test (into a temp dir), so every report below was produced
// on this machine by pytest, jest, vitest, mocha, Playwright and go/gotestsum; the committed copies in
// core/test/fixtures/real/ (uploaded by the reporter's tests) must read the same.
//
// The expected ids are the spec of identity per producer: they are written out, never derived.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  isSuiteLevel,
  readJUnitFile as readReport,
  runState,
  type StatusCounts,
  type TestResult,
  type TestStatus,
} from '@dozhim/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const GENERATOR = join(REPO, 'test/suites/generate-junit.mjs');
const COMMITTED = join(REPO, 'core/test/fixtures/real');

/** The hostile test name as written in the JavaScript suites. */
const HOSTILE = 'hostile "double" \'single\' [param-1] ünïcødé ✓ .*+?^$()|{}\\';

type Statuses = Record<string, TestStatus>;

// --- pytest: classname is `<module>.<Class>` (or the module alone), the same in xunit1 and xunit2. --------
// pytest escapes non-ASCII in parametrize ids (\xfc, \u2713) and doubles the backslash; the function name
// keeps its raw unicode. The parametrized id keeps `[param-1]`.
const PY_HOSTILE = String.raw`test_text.TestText::test_hostile_ünïcødé[hostile "double" 'single' [param-1] \xfcn\xefc\xf8d\xe9 \u2713 .*+?^$()|{}\\]`;
const PYTEST_FIRST_RUN: Statuses = {
  'test_arith.TestArith::test_adds_two_numbers': 'passed',
  'test_arith.TestArith::test_multiplies_two_numbers': 'passed',
  'test_arith.TestArith::test_counter_settles_after_a_retry': 'failed',
  // SAMPLE_FAIL + SAMPLE_TEARDOWN_ERROR: pytest writes the testcase twice (<failure>, then <error>);
  // one execution, and the failure outranks the teardown error as it does inside one testcase.
  'test_arith.TestArith::test_divides_exactly': 'failed',
  'test_arith.TestArith::test_rounds_half_to_even': 'skipped',
  'test_arith::test_param[param-1]': 'passed',
  'test_arith::test_param[param-2]': 'failed',
  'test_text.TestText::test_joins_words': 'passed',
  'test_text.TestText::test_upper_cases_ascii': 'passed',
  'test_text.TestText::test_reconnects_after_a_dropped_connection': 'failed',
  [PY_HOSTILE]: 'failed',
  // SAMPLE_ERROR: the fixture's setup raises, which pytest reports as <error>, not <failure>.
  'test_text.TestText::test_parses_the_config': 'error',
};
const PYTEST_FLAKY = [
  'test_arith.TestArith::test_counter_settles_after_a_retry',
  'test_arith::test_param[param-2]',
  'test_text.TestText::test_reconnects_after_a_dropped_connection',
  PY_HOSTILE,
];

// --- jest-junit defaults: classname and name are both `{describe} {title}`. ------------------------------
const JEST: Statuses = {
  'arith adds two numbers::arith adds two numbers': 'passed',
  'arith multiplies two numbers::arith multiplies two numbers': 'passed',
  'arith counter settles after a retry::arith counter settles after a retry': 'failed',
  'arith divides exactly::arith divides exactly': 'failed',
  'arith rounds half to even::arith rounds half to even': 'skipped',
  'text joins words::text joins words': 'passed',
  'text upper-cases ascii::text upper-cases ascii': 'passed',
  'text reconnects after a dropped connection::text reconnects after a dropped connection': 'failed',
  [`text ${HOSTILE}::text ${HOSTILE}`]: 'failed',
  // jest-junit has no <error>: the unexpected TypeError is a <failure> like any other.
  'text parses the config::text parses the config': 'failed',
};

// --- jest-junit with addFileAttribute (what the jest adapter sets): the file joins the scope, so the same
// describe + title in two files are two tests. -----------------------------------------------------------
const withFile = (statuses: Statuses, fileOf: (id: string) => string): Statuses =>
  Object.fromEntries(Object.entries(statuses).map(([id, st]) => [`${fileOf(id)} > ${id}`, st]));
const JEST_WITH_FILE = withFile(JEST, (id) =>
  id.startsWith('arith') ? 'tests/arith.test.cjs' : 'tests/text.test.cjs',
);

// --- vitest: classname is the file, name is `describe > title`. -----------------------------------------
const VITEST: Statuses = {
  'tests/arith.test.mjs::arith > adds two numbers': 'passed',
  'tests/arith.test.mjs::arith > multiplies two numbers': 'passed',
  'tests/arith.test.mjs::arith > counter settles after a retry': 'failed',
  'tests/arith.test.mjs::arith > divides exactly': 'failed',
  'tests/arith.test.mjs::arith > rounds half to even': 'skipped',
  'tests/text.test.mjs::text > joins words': 'passed',
  'tests/text.test.mjs::text > upper-cases ascii': 'passed',
  'tests/text.test.mjs::text > reconnects after a dropped connection': 'failed',
  [`tests/text.test.mjs::text > ${HOSTILE}`]: 'failed',
  'tests/text.test.mjs::text > parses the config': 'failed',
};

// --- mocha-junit-reporter defaults: classname is the bare title, name is `describe title`, and the spec
// file (absolute) on <testsuite file>; read with baseDir = the suite's folder, the file is relative. -----
const MOCHA: Statuses = {
  'tests/arith.spec.mjs > adds two numbers::arith adds two numbers': 'passed',
  'tests/arith.spec.mjs > multiplies two numbers::arith multiplies two numbers': 'passed',
  'tests/arith.spec.mjs > counter settles after a retry::arith counter settles after a retry': 'failed',
  'tests/arith.spec.mjs > divides exactly::arith divides exactly': 'failed',
  'tests/arith.spec.mjs > rounds half to even::arith rounds half to even': 'skipped',
  'tests/text.spec.mjs > joins words::text joins words': 'passed',
  'tests/text.spec.mjs > upper-cases ascii::text upper-cases ascii': 'passed',
  'tests/text.spec.mjs > reconnects after a dropped connection::text reconnects after a dropped connection':
    'failed',
  [`tests/text.spec.mjs > ${HOSTILE}::text ${HOSTILE}`]: 'failed',
  'tests/text.spec.mjs > parses the config::text parses the config': 'failed',
};
/** Where the committed reports were generated (their absolute paths; see VERSIONS.md). */
const COMMITTED_CHECKOUT = '/work/main';

// --- Playwright: classname is the spec file, name is `describe › title`; a thrown TypeError is <error>. --
const PLAYWRIGHT: Statuses = {
  'arith.spec.mjs::arith › adds two numbers': 'passed',
  'arith.spec.mjs::arith › multiplies two numbers': 'passed',
  'arith.spec.mjs::arith › counter settles after a retry': 'failed',
  'arith.spec.mjs::arith › divides exactly': 'failed',
  'arith.spec.mjs::arith › rounds half to even': 'skipped',
  'text.spec.mjs::text › joins words': 'passed',
  'text.spec.mjs::text › upper-cases ascii': 'passed',
  'text.spec.mjs::text › reconnects after a dropped connection': 'failed',
  [`text.spec.mjs::text › ${HOSTILE}`]: 'failed',
  'text.spec.mjs::text › parses the config': 'error',
};
const PLAYWRIGHT_FLAKY = [
  'arith.spec.mjs::arith › counter settles after a retry',
  `text.spec.mjs::text › ${HOSTILE}`,
  'text.spec.mjs::text › reconnects after a dropped connection',
];

// --- gotestsum: classname is the package import path; subtests are `Parent/sub` with Go's rewriting
// (spaces → `_`). A parent whose subtest failed is reported as failed too. ------------------------------
const GO_PKG = 'example.com/dozhim/samples';
const GO: Statuses = {
  [`${GO_PKG}::TestAdd`]: 'passed',
  [`${GO_PKG}::TestMultiply`]: 'passed',
  [`${GO_PKG}::TestCounterSettles`]: 'failed',
  [`${GO_PKG}::TestDividesExactly`]: 'failed',
  [`${GO_PKG}::TestRoundsHalfToEven`]: 'skipped',
  [`${GO_PKG}::TestSubtests`]: 'failed',
  [`${GO_PKG}::TestSubtests/alpha`]: 'passed',
  [`${GO_PKG}::TestSubtests/beta`]: 'failed',
  [`${GO_PKG}::TestJoin`]: 'passed',
  [`${GO_PKG}::TestUpper`]: 'passed',
  [`${GO_PKG}::TestReconnects`]: 'failed',
  [`${GO_PKG}::TestHostile`]: 'failed',
  [`${GO_PKG}::TestHostile/hostile_"double"_'single'_[param-1]_ünïcødé_✓_.*+?^$()|{}\\`]: 'failed',
};

/** `statuses` with `ids` moved to `status` (same ids: a retry changes outcomes, never identity). */
const withStatus = (statuses: Statuses, ids: readonly string[], status: TestStatus): Statuses => {
  const out = { ...statuses };
  for (const id of ids) {
    if (!(id in out)) throw new Error(`spec error: ${id} is not a test of this suite`);
    out[id] = status;
  }
  return out;
};

interface Expectation {
  statuses: Statuses;
  counts: StatusCounts;
  /** What runState() of this single report calls flaky (retry evidence inside the file). */
  flaky: string[];
}

const counts = (total: number, passed: number, failed: number, error: number, skipped: number) => ({
  total,
  passed,
  failed,
  error,
  skipped,
});

const EXPECTED: Record<string, Expectation> = {
  'pytest-xunit1.xml': { statuses: PYTEST_FIRST_RUN, counts: counts(12, 5, 5, 1, 1), flaky: [] },
  'pytest-xunit2.xml': { statuses: PYTEST_FIRST_RUN, counts: counts(12, 5, 5, 1, 1), flaky: [] },
  // pytest-rerunfailures reruns the flaky tests and they pass, but pytest's junitxml drops the
  // rerun reports: the file holds plain passes and no retry evidence, so flakiness is invisible.
  'pytest-rerunfailures.xml': {
    statuses: {
      ...withStatus(PYTEST_FIRST_RUN, PYTEST_FLAKY, 'passed'),
      'test_arith.TestArith::test_divides_exactly': 'failed', // no SAMPLE_TEARDOWN_ERROR in this run
    },
    counts: counts(12, 9, 1, 1, 1),
    flaky: [],
  },
  'jest.xml': { statuses: JEST, counts: counts(10, 4, 5, 0, 1), flaky: [] },
  'jest-file-attribute.xml': { statuses: JEST_WITH_FILE, counts: counts(10, 4, 5, 0, 1), flaky: [] },
  'vitest.xml': { statuses: VITEST, counts: counts(10, 4, 5, 0, 1), flaky: [] },
  'mocha.xml': { statuses: MOCHA, counts: counts(10, 4, 5, 0, 1), flaky: [] },
  'playwright.xml': { statuses: PLAYWRIGHT, counts: counts(10, 4, 4, 1, 1), flaky: [] },
  // --retries 1 with PLAYWRIGHT_JUNIT_INCLUDE_RETRIES: Surefire <flakyFailure>/<rerunFailure> elements.
  'playwright-retries.xml': {
    statuses: withStatus(PLAYWRIGHT, PLAYWRIGHT_FLAKY, 'passed'),
    counts: counts(10, 7, 1, 1, 1),
    flaky: [...PLAYWRIGHT_FLAKY].sort(),
  },
  'go-gotestsum.xml': { statuses: GO, counts: counts(13, 5, 7, 0, 1), flaky: [] },
};
const FILES = Object.keys(EXPECTED).sort();

const statusesOf = (results: readonly TestResult[]): Statuses =>
  Object.fromEntries(results.map((r) => [r.id, r.status]));

const byId = (results: readonly TestResult[], id: string): TestResult => {
  const r = results.find((x) => x.id === id);
  if (!r) throw new Error(`no result with id ${JSON.stringify(id)}`);
  return r;
};

let generated = '';

beforeAll(async () => {
  generated = mkdtempSync(join(tmpdir(), 'dozhim-real-junit-'));
  try {
    await promisify(execFile)(process.execPath, [GENERATOR, generated], {
      cwd: REPO,
      timeout: 600_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (e) {
    const err = e as Error & { stdout?: string; stderr?: string };
    // The generator names the missing Debian/npm package, or shows the tail of a framework's output.
    throw new Error(`generate-junit.mjs failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  }
}, 610_000);

afterAll(() => {
  if (generated) rmSync(generated, { recursive: true, force: true });
});

describe.each([
  ['generated now by the real frameworks', () => generated, REPO],
  ['committed in core/test/fixtures/real', () => COMMITTED, COMMITTED_CHECKOUT],
])('JUnit %s', (_label, dir, checkout) => {
  /** Read as the CLI does: from the suite's folder, so absolute files become relative. */
  const readJUnitFile = (path: string) =>
    readReport(path, { baseDir: join(checkout, 'test/suites', basename(path).split(/[-.]/)[0]!) });

  it('holds one report per producer variant and a VERSIONS.md', () => {
    const files = readdirSync(dir()).sort();
    expect(files.filter((f) => f.endsWith('.xml'))).toEqual(FILES);
    expect(existsSync(join(dir(), 'VERSIONS.md'))).toBe(true);
  });

  it.each(FILES)('%s: counts, and the id and status of every test', async (file) => {
    const want = EXPECTED[file]!;
    const report = await readJUnitFile(join(dir(), file));
    expect(report.counts).toEqual(want.counts);
    expect(report.results).toHaveLength(want.counts.total); // one result per test: ids are unique
    expect(statusesOf(report.results)).toEqual(want.statuses);
    expect(runState([{ number: 1, results: report.results }]).flaky).toEqual(want.flaky);
    // A failure is never reported without its reason.
    const silent = report.results.filter(
      (r) => r.status !== 'passed' && r.status !== 'skipped' && !r.message && !r.details,
    );
    expect(silent.map((r) => r.id)).toEqual([]);
  });

  it('pytest xunit1 and xunit2 give the same ids; only xunit1 carries file and line', async () => {
    const x1 = await readJUnitFile(join(dir(), 'pytest-xunit1.xml'));
    const x2 = await readJUnitFile(join(dir(), 'pytest-xunit2.xml'));
    expect(x1.results.map((r) => r.id).sort()).toEqual(x2.results.map((r) => r.id).sort());
    const param1 = byId(x1.results, 'test_arith::test_param[param-1]');
    expect({ file: param1.file, line: param1.line }).toEqual({
      file: 'test_arith.py',
      line: expect.any(Number),
    });
    expect(byId(x2.results, 'test_arith::test_param[param-1]').file).toBeUndefined();
  });

  it('pytest failure + teardown error: one execution (no retry evidence) that keeps both messages', async () => {
    const { results } = await readJUnitFile(join(dir(), 'pytest-xunit1.xml'));
    const r = byId(results, 'test_arith.TestArith::test_divides_exactly');
    expect(r.status).toBe('failed');
    expect(r.message).toContain('division left a remainder');
    // The teardown error is part of the same execution: kept in the details, not as a rerun.
    expect(r.details).toContain('failed on teardown');
    expect(r.details).toContain('connection did not close cleanly');
    expect(r.retries).toEqual([]);
  });

  it('a pytest setup error and a Playwright TypeError read as error, an assertion as failed', async () => {
    const py = await readJUnitFile(join(dir(), 'pytest-xunit2.xml'));
    expect(byId(py.results, 'test_text.TestText::test_parses_the_config').message).toContain(
      'failed on setup',
    );
    const pw = await readJUnitFile(join(dir(), 'playwright.xml'));
    const typeError = byId(pw.results, 'text.spec.mjs::text › parses the config');
    expect({ status: typeError.status, type: typeError.type }).toEqual({
      status: 'error',
      type: 'TypeError',
    });
    expect(byId(pw.results, 'arith.spec.mjs::arith › divides exactly').status).toBe('failed');
  });

  it('Playwright retries: flaky tests pass with <flakyFailure> evidence, the broken one keeps its rerun', async () => {
    const { results } = await readJUnitFile(join(dir(), 'playwright-retries.xml'));
    for (const id of PLAYWRIGHT_FLAKY) {
      expect(byId(results, id).retries.map((x) => x.kind)).toEqual(['flakyFailure']);
    }
    const broken = byId(results, 'arith.spec.mjs::arith › divides exactly');
    expect({ status: broken.status, kinds: broken.retries.map((x) => x.kind) }).toEqual({
      status: 'failed',
      kinds: ['rerunFailure'],
    });
  });

  it('pytest-rerunfailures: a flaky test that passed on its rerun looks like a plain pass', async () => {
    const { results } = await readJUnitFile(join(dir(), 'pytest-rerunfailures.xml'));
    for (const id of PYTEST_FLAKY) {
      expect({ id, status: byId(results, id).status, retries: byId(results, id).retries }).toEqual({
        id,
        status: 'passed',
        retries: [],
      });
    }
  });

  it('jest-junit addFileAttribute puts the file in the id; mocha takes it from the suite', async () => {
    const plain = await readJUnitFile(join(dir(), 'jest.xml'));
    const withFile = await readJUnitFile(join(dir(), 'jest-file-attribute.xml'));
    const id = 'arith divides exactly::arith divides exactly';
    expect(byId(plain.results, id).file).toBeUndefined();
    expect(byId(withFile.results, `tests/arith.test.cjs > ${id}`).file).toBe('tests/arith.test.cjs');
    const mocha = await readJUnitFile(join(dir(), 'mocha.xml'));
    const divides = 'tests/arith.spec.mjs > divides exactly::arith divides exactly';
    expect(byId(mocha.results, divides).file).toBe('tests/arith.spec.mjs');
    // Without baseDir the absolute path stays in the id: this checkout's, not another agent's.
    const absolute = await readReport(join(dir(), 'mocha.xml'));
    expect(absolute.results.map((r) => r.id)).toContain(
      `${join(checkout, 'test/suites/mocha/tests/arith.spec.mjs')} > divides exactly::arith divides exactly`,
    );
  });

  it('no report of a real framework has a suite-level failure or a shared id', async () => {
    for (const file of FILES) {
      const report = await readJUnitFile(join(dir(), file));
      expect({ file, init: report.results.filter(isSuiteLevel).map((r) => r.id) }).toEqual({
        file,
        init: [],
      });
      expect({ file, warnings: report.warnings }).toEqual({ file, warnings: [] });
    }
  });
});
