// Failures recorded outside any <testcase> are failures: a suite-level <error>/<failure> (at any depth)
// and suite counts above what the testcases show each become one failing `<init>` result.
import {
  type Attempt,
  decide,
  isSuiteLevel,
  parseJUnit,
  readJUnitFile,
  runState,
  SUITE_LEVEL_NAME,
  type TestResult,
  writeMergedJUnit,
} from '@dozhim/core';
import { describe, expect, it } from 'vitest';

const fixture = (name: string) => new URL(`./fixtures/handwritten/${name}`, import.meta.url).pathname;
const asAttempt = (results: TestResult[]): Attempt[] => [{ number: 1, results }];
const summary = (results: TestResult[]) => results.map((r) => [r.id, r.status]);

describe('suite-level failures', () => {
  it('Ant/JUnit 4 class that failed to load: <error> in the suite is one errored <init> test', async () => {
    const report = await readJUnitFile(fixture('ant-class-load-error.xml'));
    expect(summary(report.results)).toEqual([
      ['com.example.DbTest::<init>', 'error'],
      ['com.example.MathTest::adds', 'passed'],
      ['com.example.MathTest::divides', 'passed'],
    ]);
    const init = report.results[0]!;
    expect(init).toMatchObject({
      name: SUITE_LEVEL_NAME,
      classname: 'com.example.DbTest',
      suite: 'com.example.DbTest',
      message: 'Could not initialize class com.example.Db',
      type: 'java.lang.NoClassDefFoundError',
      properties: { 'java.version': '17.0.9' },
    });
    expect(init.details).toContain('DbTest.java:12');
    // Suite output belongs to the failing result, as for failing testcases.
    expect(init.stdout).toContain('connecting to jdbc:h2:mem:test');
    expect(isSuiteLevel(init)).toBe(true);
    expect(report.results.filter(isSuiteLevel)).toHaveLength(1);
    expect(report.counts).toEqual({ total: 3, passed: 2, failed: 0, error: 1, skipped: 0 });
    expect(decide(asAttempt(report.results))).toMatchObject({ action: 'retry', reason: 'retry' });
  });

  it('what the old reader made of it: the same report without the suite <error> is all passed', async () => {
    const { readFileSync } = await import('node:fs');
    const xml = readFileSync(fixture('ant-class-load-error.xml'), 'utf8').replace(
      /<error message[\s\S]*?<\/error>/,
      '',
    );
    const stripped = parseJUnit(xml.replace('errors="1" failures', 'errors="0" failures'));
    expect(stripped.results.filter(isSuiteLevel)).toEqual([]);
    expect(decide(asAttempt(stripped.results))).toMatchObject({ reason: 'all-passed' });
    // Keeping errors="1" but dropping the element: the count alone still fails the suite.
    const countOnly = parseJUnit(xml);
    expect(summary(countOnly.results.filter(isSuiteLevel))).toEqual([
      ['com.example.DbTest::<init>', 'error'],
    ]);
  });

  it('a <failure> on a nested suite: failed <init> of that suite with its file; outer counts not doubled', async () => {
    const report = await readJUnitFile(fixture('nested-suite-error.xml'));
    expect(summary(report.results)).toEqual([
      ['tests/api.test.js > api::health', 'passed'],
      ['tests/api.test.js > api users::lists users', 'passed'],
      ['tests/api.test.js > api users::creates a user', 'passed'],
      ['tests/api.test.js > api users::<init>', 'failed'],
    ]);
    expect(report.results[3]).toMatchObject({
      suite: 'api users',
      file: 'tests/api.test.js',
      message: 'beforeAll hook: connect ECONNREFUSED 127.0.0.1:5432',
    });
    expect(runState(asAttempt(report.results)).failing).toEqual(['tests/api.test.js > api users::<init>']);
  });

  it('suite counts above what its testcases show: an errored <init> that says so', async () => {
    const report = await readJUnitFile(fixture('suite-count-mismatch.xml'));
    expect(summary(report.results)).toEqual([
      ['spec/checkout.spec.js > checkout::t1', 'passed'],
      ['spec/checkout.spec.js > checkout::t2', 'passed'],
      ['spec/checkout.spec.js > checkout::t3', 'passed'],
      ['spec/checkout.spec.js > checkout::t4', 'passed'],
      ['spec/checkout.spec.js > checkout::t5', 'passed'],
      ['spec/checkout.spec.js > checkout::t6', 'passed'],
      ['spec/checkout.spec.js > checkout::<init>', 'error'],
      ['cart::adds', 'failed'],
      ['cart::removes', 'passed'],
    ]);
    const init = report.results[6]!;
    expect(init.message).toBe('suite "checkout" reports 1 failure(s) that no testcase shows');
    expect(init.stdout).toContain('after all hook failed');
    expect(report.counts).toEqual({ total: 9, passed: 7, failed: 1, error: 1, skipped: 0 });
    expect(decide(asAttempt(report.results)).reason).not.toBe('all-passed');
  });

  it.each([
    [
      'counts that agree',
      '<testsuite name="s" tests="2" failures="1"><testcase name="a"><failure/></testcase><testcase name="b"/></testsuite>',
    ],
    [
      'counts below (producers over-count nothing we can see)',
      '<testsuite name="s" tests="9" failures="0" errors="0"><testcase name="a"><failure/></testcase></testsuite>',
    ],
    ['no counts', '<testsuite name="s"><testcase name="a"/></testsuite>'],
    ['unreadable counts', '<testsuite name="s" failures="one" errors="-1"><testcase name="a"/></testsuite>'],
    // pytest counts a failure plus its teardown error in one testcase twice: failures="1" errors="1".
    [
      'a failure and an error in one testcase',
      '<testsuite name="s" failures="1" errors="1"><testcase name="a"><failure/><error/></testcase></testsuite>',
    ],
    [
      'failures counted on a nested suite and its parent',
      '<testsuites><testsuite name="o" failures="1"><testsuite name="i" failures="1"><testcase name="a"><failure/></testcase></testsuite></testsuite></testsuites>',
    ],
  ])('no <init> for %s', (_label, xml) => {
    expect(parseJUnit(xml).results.filter(isSuiteLevel)).toEqual([]);
  });

  it('errors count as well as failures; the mismatch is of the whole subtree', () => {
    const { results } = parseJUnit(
      '<testsuites><testsuite name="o" failures="1" errors="2"><testsuite name="i" failures="1"><testcase name="a"><failure/></testcase></testsuite></testsuite></testsuites>',
    );
    expect(results.filter(isSuiteLevel).map((r) => [r.id, r.message])).toEqual([
      ['o::<init>', 'suite "o" reports 2 failure(s) that no testcase shows'],
    ]);
  });

  it('an <init> stays failing until a later report has the same id passing; the writer keeps it', () => {
    const first = parseJUnit(
      '<testsuite name="c.T" errors="1" tests="0"><error message="boom" type="E">trace</error></testsuite>',
    ).results;
    const passed = parseJUnit(
      '<testsuite name="c.T" tests="1"><testcase classname="c.T" name="t"/></testsuite>',
    ).results;
    // The class loaded on the rerun: its tests ran, but the <init> id itself was not reported again,
    // so it stays failing (only a later execution of the same id can clear it).
    const state = runState([
      { number: 1, results: first },
      { number: 2, results: passed },
    ]);
    expect(state.failing).toEqual(['c.T::<init>']);
    // A report of the same id without failure (e.g. the writer's merged report of a later run) clears it.
    const cleared = runState([
      { number: 1, results: first },
      { number: 2, results: [{ ...first[0]!, status: 'passed', retries: [] }] },
    ]);
    expect({ failing: cleared.failing, flaky: cleared.flaky }).toEqual({
      failing: [],
      flaky: ['c.T::<init>'],
    });
    const xml = writeMergedJUnit([{ number: 1, results: first }]);
    expect(xml).toContain('<testcase name="&lt;init&gt;" classname="c.T"');
    const back = parseJUnit(xml).results;
    expect(summary(back)).toEqual([['c.T::<init>', 'error']]);
    expect(back.filter(isSuiteLevel)).toHaveLength(1);
  });
});
