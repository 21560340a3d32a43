// Identity and the repeat rule on the file shapes of the issue: each case asserts the verdict, and the
// input (or reading) that would fool it.
import { readFileSync } from 'node:fs';
import { type Attempt, decide, parseJUnit, readJUnitFile, runState, type TestResult } from '@dozhim/core';
import { describe, expect, it } from 'vitest';

const fixture = (name: string) => new URL(`./fixtures/handwritten/${name}`, import.meta.url).pathname;
const text = (name: string) => readFileSync(fixture(name), 'utf8');
const asAttempt = (results: TestResult[]): Attempt[] => [{ number: 1, results }];
const verdict = (results: TestResult[]) => {
  const s = runState(asAttempt(results));
  return { failing: s.failing, flaky: s.flaky };
};

describe('identity on the producer shapes', () => {
  it('mocha: the same title in two spec files is two tests (the suite file is in the id)', async () => {
    const report = await readJUnitFile(fixture('mocha-same-title.xml'), { baseDir: '/builds/acme/shop' });
    expect(report.results.map((r) => [r.id, r.status, r.file])).toEqual([
      ['test/a/api.spec.js > lists users::api lists users', 'failed', 'test/a/api.spec.js'],
      ['test/b/api.spec.js > lists users::api lists users', 'passed', 'test/b/api.spec.js'],
    ]);
    expect(verdict(report.results)).toEqual({
      failing: ['test/a/api.spec.js > lists users::api lists users'],
      flaky: [],
    });
    // Fooled: without the file (older reporters, or it stripped), the two are one id; even then the
    // default rule keeps the failure, and only 'retries' would call the second file's pass a retry.
    const noFile = text('mocha-same-title.xml').replace(/ file="[^"]*"/g, '');
    expect(verdict(parseJUnit(noFile).results)).toEqual({
      failing: ['lists users::api lists users'],
      flaky: [],
    });
    expect(verdict(parseJUnit(noFile, { repeats: 'retries' }).results).flaky).toEqual([
      'lists users::api lists users',
    ]);
  });

  it('jest-junit: the same classname in two files is two tests with addFileAttribute', async () => {
    const report = await readJUnitFile(fixture('jest-junit-two-files.xml'));
    expect(report.results.map((r) => [r.id, r.status])).toEqual([
      ['src/a/view.test.js > render shows the title::render shows the title', 'failed'],
      ['src/b/view.test.js > render shows the title::render shows the title', 'passed'],
    ]);
    expect(report.warnings).toEqual([]);
    const noFile = text('jest-junit-two-files.xml').replace(/ file="[^"]*"/g, '');
    const merged = parseJUnit(noFile);
    expect(merged.results.map((r) => [r.id, r.status, r.executions])).toEqual([
      ['render shows the title::render shows the title', 'failed', 2],
    ]);
    expect(merged.warnings).toHaveLength(1);
  });

  it('vitest: the same title twice in one file is truly one id: failing if either fails, with a warning', async () => {
    const report = await readJUnitFile(fixture('vitest-same-title.xml'));
    expect(report.results.map((r) => [r.id, r.status, r.executions])).toEqual([
      ['tests/cart.test.ts::cart > adds', 'failed', 2],
      ['tests/cart.test.ts::cart > removes', 'passed', undefined],
    ]);
    expect(report.results[0]!.message).toBe('expected 1 to be 2 // Object.is equality');
    expect(report.warnings).toEqual([
      expect.stringMatching(
        /^2 results share the id "tests\/cart\.test\.ts::cart > adds"; treated as one test that fails if any fails/,
      ),
    ]);
    // vitest's hostname is the machine: not part of the id (the root has no Playwright `id`).
    expect(report.results[0]!.project).toBeUndefined();
    expect(decide(asAttempt(report.results)).reason).toBe('retry');
    // Fooled: as retries, the second (passing) one would make the failure "flaky".
    const asRetries = await readJUnitFile(fixture('vitest-same-title.xml'), { repeats: 'retries' });
    expect(verdict(asRetries.results).flaky).toEqual(['tests/cart.test.ts::cart > adds']);
  });

  it('TestNG data provider: three rows of one method are executions; one failed row fails the test', async () => {
    const report = await readJUnitFile(fixture('testng-data-provider.xml'));
    expect(report.results.map((r) => [r.id, r.status, r.executions])).toEqual([
      ['com.example.PriceTest::rounds', 'failed', 3],
      ['com.example.PriceTest::formats', 'passed', undefined],
    ]);
    expect(report.results[0]).toMatchObject({ message: 'expected [3] but found [4]', retries: [] });
    expect(verdict(report.results)).toEqual({ failing: ['com.example.PriceTest::rounds'], flaky: [] });
    // The next attempt re-runs the method: all rows pass → flaky; one row fails again → still failing.
    const rerun = (failRow: boolean) =>
      parseJUnit(
        `<testsuite name="com.example.PriceTest"><testcase classname="com.example.PriceTest" name="rounds">${failRow ? '<failure/>' : ''}</testcase><testcase classname="com.example.PriceTest" name="rounds"/></testsuite>`,
      ).results;
    const after = (failRow: boolean) => {
      const s = runState([
        { number: 1, results: report.results },
        { number: 2, results: rerun(failRow) },
      ]);
      return { failing: s.failing, flaky: s.flaky };
    };
    expect(after(false)).toEqual({ failing: [], flaky: ['com.example.PriceTest::rounds'] });
    expect(after(true)).toEqual({ failing: ['com.example.PriceTest::rounds'], flaky: [] });
  });

  it("gotestsum --rerun-fails: read with repeats: 'retries' a pass on rerun is flaky; by default it fails", async () => {
    const asRetries = await readJUnitFile(fixture('gotestsum-rerun-fails.xml'), { repeats: 'retries' });
    expect(asRetries.results.map((r) => [r.id, r.status, r.retries.map((e) => e.kind)])).toEqual([
      ['example.com/shop/cart::TestFlaky', 'passed', ['flakyFailure']],
      ['example.com/shop/cart::TestBroken', 'failed', ['rerunFailure']],
      ['example.com/shop/cart::TestStable', 'passed', []],
    ]);
    expect(verdict(asRetries.results)).toEqual({
      failing: ['example.com/shop/cart::TestBroken'],
      flaky: ['example.com/shop/cart::TestFlaky'],
    });
    expect(asRetries.warnings).toEqual([]);
    // Without being told, the reruns are executions: nothing is called flaky, both stay failing.
    const asExecutions = await readJUnitFile(fixture('gotestsum-rerun-fails.xml'));
    expect(verdict(asExecutions.results)).toEqual({
      failing: ['example.com/shop/cart::TestBroken', 'example.com/shop/cart::TestFlaky'],
      flaky: [],
    });
    expect(asExecutions.warnings).toHaveLength(2);
  });
});
