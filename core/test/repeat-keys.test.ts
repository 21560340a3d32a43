// The duplicate-id check keys results by scope and name instead of by the whole id (junit-reader.ts,
// RepeatFolder). Two results are one test exactly when their ids are equal, however the id splits into
// prefix and name: these cases pin that down on both sides (equal ids merged, distinct ids kept).
import { parseJUnit, type TestResult } from '@dozhim/core';
import { describe, expect, it } from 'vitest';

const ids = (results: TestResult[]) => results.map((r) => r.id);
const suite = (name: string, cases: string) =>
  `<testsuites><testsuite name="${name}">${cases}</testsuite></testsuites>`;

describe('repeated ids: keyed by the id, however it splits', () => {
  it('a bare name containing "::" and a scoped test with the same id are one test (fails if either fails)', () => {
    const { results, warnings } = parseJUnit(
      suite('', '<testcase name="a::b"/><testcase classname="a" name="b"><failure message="x"/></testcase>'),
    );
    expect(ids(results)).toEqual(['a::b']);
    expect(results[0]!.status).toBe('failed');
    expect(results[0]!.executions).toBe(2);
    expect(warnings).toEqual([expect.stringContaining('"a::b"')]);
  });

  it('a scope ending in ":" meets the bare name with the same id (a:::b)', () => {
    const { results, warnings } = parseJUnit(
      suite('', '<testcase classname="a:" name="b"><error message="x"/></testcase><testcase name="a:::b"/>'),
    );
    expect(ids(results)).toEqual(['a:::b']);
    expect(results[0]!.status).toBe('error');
    expect(warnings).toHaveLength(1);
  });

  it('a scope ending in ":" meets a scope "a" whose name starts with ":"', () => {
    const { results } = parseJUnit(
      suite('', '<testcase classname="a" name=":b"/><testcase classname="a:" name="b"><failure/></testcase>'),
    );
    expect(ids(results)).toEqual(['a:::b']);
    expect(results[0]!.status).toBe('failed');
  });

  it('ids that only look alike stay distinct: "x", "::x", ":x", "a::x", "a::::x"', () => {
    const { results, warnings } = parseJUnit(
      suite(
        '',
        '<testcase name="x"/><testcase name="::x"><failure/></testcase><testcase name=":x"/>' +
          '<testcase classname="a" name="x"/><testcase classname="a" name="::x"/>',
      ),
    );
    expect(ids(results)).toEqual(['x', '::x', ':x', 'a::x', 'a::::x']);
    expect(results.map((r) => r.status)).toEqual(['passed', 'failed', 'passed', 'passed', 'passed']);
    expect(warnings).toEqual([]);
  });

  it('the same name in two scopes is two tests; in one scope, across suites, one', () => {
    const xml =
      '<testsuites><testsuite name="s1"><testcase classname="A" name="t"/><testcase classname="B" name="t"/></testsuite>' +
      '<testsuite name="s2"><testcase classname="A" name="t"><failure/></testcase></testsuite></testsuites>';
    const { results } = parseJUnit(xml);
    expect(ids(results)).toEqual(['A::t', 'B::t']);
    expect(results[0]!.status).toBe('failed');
    expect(results[1]!.status).toBe('passed');
  });

  it('retries mode: a repeat after other scopes in between is still found (last try wins)', () => {
    const xml = suite(
      'S',
      '<testcase classname="A" name="t"><failure/></testcase><testcase classname="B" name="u"/>' +
        '<testcase classname="A" name="t"/>',
    );
    const { results } = parseJUnit(xml, { repeats: 'retries' });
    expect(ids(results)).toEqual(['A::t', 'B::u']);
    expect(results[0]!.status).toBe('passed');
    expect(results[0]!.retries).toHaveLength(1);
  });
});
