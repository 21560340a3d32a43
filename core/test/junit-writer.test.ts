import {
  type Attempt,
  parseJUnit,
  type RetryEvidence,
  type TestResult,
  type TestStatus,
  testId,
  writeMergedJUnit,
} from '@dozhim/core';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';

/** A result as a framework report would give it; `name` may be "Class::name" or a bare name. */
function result(
  ref: string,
  status: TestStatus,
  extra: Partial<TestResult> & { retries?: RetryEvidence[] } = {},
): TestResult {
  const [classname, name] = ref.includes('::') ? ref.split('::') : ['', ref];
  const suite = extra.suite ?? (classname || 'default');
  return {
    id: testId({ suite, classname, name: name! }),
    suite,
    classname: classname!,
    name: name!,
    status,
    durationMs: 100,
    properties: {},
    retries: [],
    ...extra,
  };
}

const attempt = (number: number, results: TestResult[], threads?: number): Attempt => ({
  number,
  results,
  ...(threads === undefined ? {} : { threads }),
});

type El = Record<string, unknown> & { '#text'?: string };
/** Generic view of the written XML: every element an array, attributes without prefix. */
const tree = (xml: string) =>
  new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
    alwaysCreateTextNode: true,
    isArray: (_n, _p, _l, isAttribute) => !isAttribute,
  }).parse(xml) as { testsuites: El[] };
const kids = (el: El, tag: string): El[] => (el[tag] as El[] | undefined) ?? [];
const suitesOf = (xml: string) => kids(tree(xml).testsuites[0]!, 'testsuite');
const casesOf = (xml: string) => suitesOf(xml).flatMap((s) => kids(s, 'testcase'));
const caseNamed = (xml: string, name: string): El => {
  const found = casesOf(xml).filter((c) => c.name === name);
  expect(found).toHaveLength(1);
  return found[0]!;
};
const text = (el: El | undefined) => el?.['#text'];

// A run: attempt 1 runs everything, attempt 2 reruns the failing tests, attempt 3 the still failing.
const RUN: Attempt[] = [
  attempt(
    1,
    [
      result('app.A::passes', 'passed'),
      result('app.A::flaky', 'failed', {
        message: 'expected 1',
        type: 'AssertionError',
        details: 'at A.flaky(A.java:1)',
        stdout: 'out of try 1',
        stderr: 'err of try 1',
        durationMs: 1500,
      }),
      result('app.A::broken', 'failed', { message: 'broken 1', details: 'trace 1', stdout: 'broken out 1' }),
      result('app.B::skipped', 'skipped', { message: 'not today' }),
      result('app.B::crashes', 'error', { message: 'NPE', type: 'java.lang.NullPointerException' }),
      result('app.B::mixed', 'failed', { message: 'assert' }),
      // Surefire already retried this one inside the attempt and it passed: evidence to carry over.
      result('app.B::surefireFlaky', 'passed', {
        retries: [{ kind: 'flakyFailure', message: 'in-run try', type: 'T', details: 'st', stdout: 'so' }],
      }),
      // The same id from two shards of one attempt: still one testcase.
      result('app.C::sharded', 'passed'),
      result('app.C::sharded', 'passed'),
    ],
    8,
  ),
  attempt(
    2,
    [
      result('app.A::flaky', 'passed', { stdout: 'out of try 2', durationMs: 1200 }),
      result('app.A::broken', 'failed', { message: 'broken 2', details: 'trace 2', stdout: 'broken out 2' }),
      result('app.B::crashes', 'passed'),
      result('app.B::mixed', 'error', { message: 'socket closed', type: 'IOException' }),
    ],
    4,
  ),
  attempt(
    3,
    [
      result('app.A::broken', 'failed', { message: 'broken 3', details: 'trace 3' }),
      result('app.B::mixed', 'error', { message: 'socket closed again', type: 'IOException' }),
    ],
    2,
  ),
];

describe('writeMergedJUnit: structure', () => {
  const xml = writeMergedJUnit(RUN, { name: 'run-42' });

  it('is well-formed XML with a <testsuites name> root', () => {
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="run-42"')).toBe(true);
  });

  it('has exactly one testcase per test id, grouped in suites sorted by name, cases by id', () => {
    const suites = suitesOf(xml);
    expect(suites.map((s) => s.name)).toEqual(['app.A', 'app.B', 'app.C']);
    expect(suites.map((s) => kids(s, 'testcase').map((c) => c.name))).toEqual([
      ['broken', 'flaky', 'passes'],
      ['crashes', 'mixed', 'skipped', 'surefireFlaky'],
      ['sharded'],
    ]);
  });

  it('a test that failed then passed is a passing testcase with one <flakyFailure> per failed attempt', () => {
    const c = caseNamed(xml, 'flaky');
    expect(Object.keys(c).filter((k) => !k.startsWith('#') && typeof c[k] !== 'string')).toEqual([
      'flakyFailure',
      'system-out',
    ]);
    const [f] = kids(c, 'flakyFailure');
    expect(f).toMatchObject({ message: 'expected 1', type: 'AssertionError', time: '1.500' });
    expect(text(kids(f!, 'stackTrace')[0])).toBe('at A.flaky(A.java:1)');
    expect(text(kids(f!, 'system-out')[0])).toBe('out of try 1');
    expect(text(kids(f!, 'system-err')[0])).toBe('err of try 1');
    // The testcase's own output and time are those of the passing attempt.
    expect(text(kids(c, 'system-out')[0])).toBe('out of try 2');
    expect(c.time).toBe('1.200');
  });

  it('an error that later passed becomes <flakyError>', () => {
    const c = caseNamed(xml, 'crashes');
    expect(kids(c, 'flakyError')).toHaveLength(1);
    expect(kids(c, 'flakyError')[0]).toMatchObject({
      message: 'NPE',
      type: 'java.lang.NullPointerException',
    });
    expect(kids(c, 'error')).toHaveLength(0);
  });

  it('a test that failed every attempt has <failure> for the first and <rerunFailure> for each rerun', () => {
    const c = caseNamed(xml, 'broken');
    expect(kids(c, 'failure')).toHaveLength(1);
    expect(kids(c, 'failure')[0]!.message).toBe('broken 1');
    expect(text(kids(c, 'failure')[0])).toBe('trace 1');
    expect(text(kids(c, 'system-out')[0])).toBe('broken out 1');
    const reruns = kids(c, 'rerunFailure');
    expect(reruns.map((r) => r.message)).toEqual(['broken 2', 'broken 3']);
    expect(text(kids(reruns[0]!, 'stackTrace')[0])).toBe('trace 2');
    expect(text(kids(reruns[0]!, 'system-out')[0])).toBe('broken out 2');
  });

  it('the verdict element matches the final status when failure kinds change across attempts', () => {
    const c = caseNamed(xml, 'mixed');
    expect(kids(c, 'failure')).toHaveLength(0);
    expect(kids(c, 'error').map((e) => e.message)).toEqual(['socket closed']);
    expect(kids(c, 'rerunFailure').map((e) => e.message)).toEqual(['assert']);
    expect(kids(c, 'rerunError').map((e) => e.message)).toEqual(['socket closed again']);
  });

  it('carries retry evidence the input results already had', () => {
    const c = caseNamed(xml, 'surefireFlaky');
    const [f] = kids(c, 'flakyFailure');
    expect(f).toMatchObject({ message: 'in-run try', type: 'T' });
    expect(text(kids(f!, 'stackTrace')[0])).toBe('st');
    expect(text(kids(f!, 'system-out')[0])).toBe('so');
  });

  it('writes <skipped> with its message', () => {
    expect(kids(caseNamed(xml, 'skipped'), 'skipped')[0]).toMatchObject({ message: 'not today' });
  });

  it('counts per suite and at the root follow the final status; flaky counts as passed', () => {
    const root = tree(xml).testsuites[0]!;
    expect(root).toMatchObject({ tests: '8', failures: '1', errors: '1', skipped: '1' });
    const [a, b, c] = suitesOf(xml);
    expect(a).toMatchObject({ tests: '3', failures: '1', errors: '0', skipped: '0', time: '1.400' });
    expect(b).toMatchObject({ tests: '4', failures: '0', errors: '1', skipped: '1', time: '0.400' });
    expect(c).toMatchObject({ tests: '1', failures: '0', errors: '0', skipped: '0', time: '0.100' });
    expect(root.time).toBe('1.900');
  });

  it('is deterministic: attempt order and result order do not change a byte', () => {
    const shuffled = [...RUN].reverse().map((a) => ({ ...a, results: [...a.results].reverse() }));
    expect(writeMergedJUnit(shuffled, { name: 'run-42' })).toBe(xml);
  });
});

describe('writeMergedJUnit: escaping', () => {
  const nasty = 'a<b>&c"d\'e ]]> \t tab\nnew line \r cr';
  const xml = writeMergedJUnit(
    [
      attempt(1, [
        result(`pkg.C&D::${nasty}`, 'failed', {
          message: `${nasty} \u0000nul \u001b[31mesc \uFFFF \uD800lone`,
          type: 'x"y',
          details: `<![CDATA[ ${nasty} ]]>`,
          stdout: `<html>&amp;</html> \u0007bell`,
          file: 'dir/a&b.py',
          line: 7,
          properties: { 'k<1>': 'v&"1"', a: 'first' },
        }),
      ]),
    ],
    { name: 'run "quoted" & <tagged>' },
  );

  it('produces well-formed XML whatever the text holds', () => {
    expect(XMLValidator.validate(xml)).toBe(true);
    const invalid = [...xml].filter((ch) => {
      const c = ch.codePointAt(0)!;
      const lone = c >= 0xd800 && c <= 0xdfff; // paired surrogates were joined by the spread
      return (c < 0x20 && c !== 0x9 && c !== 0xa && c !== 0xd) || c === 0xfffe || c === 0xffff || lone;
    });
    expect(invalid).toEqual([]);
  });

  it('reads back to the same text, minus XML-invalid characters', () => {
    const [r] = parseJUnit(xml).results;
    expect(r).toMatchObject({
      classname: 'pkg.C&D',
      name: nasty,
      message: `${nasty} nul [31mesc  lone`,
      type: 'x"y',
      details: `<![CDATA[ ${nasty} ]]>`,
      stdout: '<html>&amp;</html> bell',
      file: 'dir/a&b.py',
      line: 7,
      properties: { 'k<1>': 'v&"1"', a: 'first' },
    });
    expect(tree(xml).testsuites[0]!.name).toBe('run "quoted" & <tagged>');
  });

  it('writes properties sorted by name', () => {
    expect(xml.indexOf('name="a"')).toBeLessThan(xml.indexOf('name="k&lt;1&gt;"'));
  });
});

describe('writeMergedJUnit: edge cases', () => {
  it('no attempts or no results → an empty but valid report', () => {
    for (const attempts of [[], [attempt(1, [])]]) {
      const xml = writeMergedJUnit(attempts);
      expect(XMLValidator.validate(xml)).toBe(true);
      expect(tree(xml).testsuites[0]).toMatchObject({ name: 'dozhim', tests: '0', failures: '0' });
      expect(parseJUnit(xml).results).toEqual([]);
    }
  });

  it('writes a negative or non-finite duration as 0 and keeps the totals finite', () => {
    const xml = writeMergedJUnit([
      attempt(1, [
        result('S::a', 'passed', { durationMs: Number.NaN }),
        result('S::b', 'passed', { durationMs: -5 }),
        result('S::c', 'passed', { durationMs: 1234 }),
      ]),
    ]);
    expect(casesOf(xml).map((c) => c.time)).toEqual(['0.000', '0.000', '1.234']);
    expect(tree(xml).testsuites[0]!.time).toBe('1.234');
  });

  it('a test skipped on a rerun after failing keeps its failure as flaky evidence, counted as skipped', () => {
    const xml = writeMergedJUnit([
      attempt(1, [result('S::t', 'failed', { message: 'boom' })]),
      attempt(2, [result('S::t', 'skipped')]),
    ]);
    const c = caseNamed(xml, 't');
    expect(kids(c, 'skipped')).toHaveLength(1);
    expect(kids(c, 'flakyFailure').map((f) => f.message)).toEqual(['boom']);
    expect(tree(xml).testsuites[0]).toMatchObject({ failures: '0', skipped: '1' });
  });

  it('a Surefire report with in-run reruns, still failing on the next attempt, keeps every try in order', () => {
    const first = parseJUnit(
      '<testsuite name="S"><testcase classname="S" name="t"><failure message="run 1"/><rerunFailure message="run 2"/></testcase></testsuite>',
    ).results;
    const xml = writeMergedJUnit([
      attempt(1, first),
      attempt(2, [result('S::t', 'failed', { message: 'run 3' })]),
    ]);
    const c = caseNamed(xml, 't');
    expect(kids(c, 'failure').map((f) => f.message)).toEqual(['run 1']);
    expect(kids(c, 'rerunFailure').map((f) => f.message)).toEqual(['run 2', 'run 3']);
  });
});
