import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RUN_ID_CHARS, RUN_ID_PATTERN, sanitizeRunId, type TestResult } from '../src/index.js';
import { writeMergedJUnit } from '../src/junit-writer.js';
import {
  AttemptPatchBody,
  MergedReportXml,
  ResultsBody,
  resultFromTestRow,
  TestRow,
  toResultInput,
  toTestRow,
} from '../src/wire/index.js';

// The wire contract's own rules: the result mappers are inverse on what a row carries, the request
// schemas refuse what the reporter must not store, and the run-id rule has one definition.

const full: TestResult = {
  id: 'tests/a.py::T::t[1]',
  suite: 'S',
  classname: 'tests.a.T',
  name: 't[1]',
  file: 'tests/a.py',
  line: 7,
  status: 'passed',
  durationMs: 12.5,
  message: 'm',
  type: 'AssertionError',
  properties: {},
  retries: [{ kind: 'flakyFailure', message: 'first try', type: 'Timeout', durationMs: 3 }],
};
const bare: TestResult = {
  id: 'x::y',
  suite: '',
  classname: '',
  name: 'y',
  status: 'error',
  durationMs: 0,
  properties: {},
  retries: [],
};

describe('the result mappers', () => {
  it('a listed row reads back as the result it was written from (the fields a row carries)', () => {
    for (const r of [full, bare]) {
      const row = toTestRow({ ...r, attempt: 2, shard: '1/2' });
      // What goes over the wire is a valid row, and comes back equal.
      expect(TestRow.parse(JSON.parse(JSON.stringify(row)))).toEqual(row);
      expect(resultFromTestRow(row)).toEqual(r);
    }
  });

  it('retry evidence survives the round trip: a pass after a failed try stays visibly flaky', () => {
    const back = resultFromTestRow(toTestRow({ ...full, attempt: 1, shard: 'default' }));
    expect(back.status).toBe('passed');
    expect(back.retries).toHaveLength(1);
    // The fooling case: dropping the evidence would leave a plain pass.
    expect(back).not.toEqual({ ...full, retries: [] });
  });

  it('an upload is a valid request body with every field the result has', () => {
    const withOutput: TestResult = {
      ...full,
      details: 'stack',
      stdout: 'o',
      stderr: 'e',
      properties: { k: 'v' },
    };
    const body = ResultsBody.parse(JSON.parse(JSON.stringify({ results: [toResultInput(withOutput)] })));
    expect(body.results[0]).toEqual({ ...withOutput });
  });
});

describe('the request schemas refuse', () => {
  const ok = { name: 'n', status: 'passed' };
  it.each([
    ['an unknown status', { results: [{ ...ok, status: 'FAILED' }] }],
    ['an unknown field (a typo would silently drop data)', { results: [{ ...ok, stauts: 'failed' }] }],
    ['a result with nothing to derive an id from', { results: [{ name: '', status: 'failed' }] }],
    ['retry evidence of an unknown kind', { results: [{ ...ok, retries: [{ kind: 'retry' }] }] }],
    ['a negative duration', { results: [{ ...ok, durationMs: -1 }] }],
  ])('%s', (_what, body) => {
    expect(ResultsBody.safeParse(body).success).toBe(false);
  });

  it('an attempt patch out of range or with a decision the policy cannot make', () => {
    expect(AttemptPatchBody.safeParse({ threads: 2, selectedCount: 0 }).success).toBe(true);
    expect(AttemptPatchBody.safeParse({ threads: 0 }).success).toBe(false);
    expect(AttemptPatchBody.safeParse({ startedAt: 'yesterday' }).success).toBe(false);
    expect(AttemptPatchBody.safeParse({ decision: { action: 'pass', line: 'x' } }).success).toBe(false);
    expect(AttemptPatchBody.safeParse({ selected: ['a'] }).success).toBe(false);
  });
});

describe('the merged report answer', () => {
  it("is what core's writer writes, and not an HTML page", () => {
    expect(MergedReportXml.safeParse(writeMergedJUnit([])).success).toBe(true);
    expect(MergedReportXml.safeParse('<testsuites tests="0"></testsuites>').success).toBe(true);
    expect(MergedReportXml.safeParse('<!DOCTYPE html><html></html>').success).toBe(false);
    expect(MergedReportXml.safeParse('').success).toBe(false);
  });
});

describe('one run-id rule', () => {
  it('the pattern and the sanitizer agree: a sanitized id always passes, a valid one is unchanged', () => {
    for (const s of ['build/42', 'a b;rm -rf', 'x'.repeat(300), 'über-ü', 'pipe@1:2.3_4-5']) {
      expect(RUN_ID_PATTERN.test(sanitizeRunId(s)), s).toBe(true);
    }
    expect(sanitizeRunId('jenkins/main@42')).toBe('jenkins/main@42');
    expect(RUN_ID_PATTERN.test('a b')).toBe(false);
    expect(RUN_ID_PATTERN.test('x'.repeat(201))).toBe(false);
  });

  it('the Jenkins library (Groovy, which cannot import it) spells the same characters', () => {
    const groovy = readFileSync(
      new URL('../../jenkins-shared-lib/src/io/dozhim/jenkins/Options.groovy', import.meta.url),
      'utf8',
    );
    const m = /RUN_ID_CHARS = '([^']*)'/.exec(groovy);
    expect(m, 'Options.groovy no longer defines RUN_ID_CHARS').not.toBeNull();
    expect(m![1]).toBe(RUN_ID_CHARS);
    expect(groovy).toContain('{1,200}');
  });
});
