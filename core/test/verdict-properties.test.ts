// Property tests of the verdict rules over random reports in which several results share an id: with
// the default repeat rule (`executions`), a test is never better than failing unless a later attempt
// passed every execution of that id, and it is flaky only when it failed before and then passed.
import { type Attempt, decide, parseJUnit, runState, type TestStatus, writeMergedJUnit } from '@dozhim/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

/** A small pool, so ids repeat; `a b` and `a  b` are different tests. */
const CLASSNAMES = ['c.One', 'c.Two'] as const;
const NAMES = ['a', 'b', 'a b', 'a  b'] as const;
const STATUSES: readonly TestStatus[] = ['passed', 'failed', 'error', 'skipped'];

interface Case {
  classname: string;
  name: string;
  status: TestStatus;
}

const idOf = (c: Pick<Case, 'classname' | 'name'>) => `${c.classname}::${c.name}`;
const isFailing = (s: TestStatus) => s === 'failed' || s === 'error';

const caseArb: fc.Arbitrary<Case> = fc.record({
  classname: fc.constantFrom(...CLASSNAMES),
  name: fc.constantFrom(...NAMES),
  status: fc.constantFrom(...STATUSES),
});
/** One report: 1–12 testcases in random order, repeats likely. */
const reportArb = fc.array(caseArb, { minLength: 1, maxLength: 12 });

const OUTCOME: Record<TestStatus, string> = {
  passed: '',
  failed: '<failure message="assertion failed">trace</failure>',
  error: '<error message="crashed">trace</error>',
  skipped: '<skipped/>',
};

function toXml(cases: readonly Case[]): string {
  const body = cases
    .map(
      (c, i) =>
        `<testcase classname="${c.classname}" name="${c.name}" time="0.${i}">${OUTCOME[c.status]}</testcase>`,
    )
    .join('');
  return `<testsuites><testsuite name="S">${body}</testsuite></testsuites>`;
}

const readAttempt = (number: number, cases: readonly Case[]): Attempt => ({
  number,
  results: parseJUnit(toXml(cases)).results,
});

/** The rule, stated independently of the reader: per id, its executions in its latest attempt decide. */
function expected(reports: readonly (readonly Case[])[]) {
  const failing: string[] = [];
  const flaky: string[] = [];
  const ids = new Set(reports.flat().map(idOf));
  for (const id of ids) {
    const ran = reports.filter((cases) => cases.some((c) => idOf(c) === id));
    const latest = ran[ran.length - 1]!.filter((c) => idOf(c) === id);
    const everFailed = ran.some((cases) => cases.some((c) => idOf(c) === id && isFailing(c.status)));
    if (latest.some((c) => isFailing(c.status))) failing.push(id);
    else if (everFailed) flaky.push(id);
  }
  return { failing: failing.sort(), flaky: flaky.sort() };
}

describe('verdict properties (repeats: executions)', () => {
  it('one report: an id fails if any of its results fails, and nothing is flaky', () => {
    fc.assert(
      fc.property(reportArb, (cases) => {
        const report = parseJUnit(toXml(cases));
        const state = runState([{ number: 1, results: report.results }]);
        expect({ failing: state.failing, flaky: state.flaky }).toEqual(expected([cases]));
        expect(state.flaky).toEqual([]);
        // One result per id, each shared id named in a warning, and counts that add up.
        const ids = new Set(cases.map(idOf));
        expect(report.results.map((r) => r.id).sort()).toEqual([...ids].sort());
        const shared = [...ids].filter((id) => cases.filter((c) => idOf(c) === id).length > 1);
        expect(report.warnings).toHaveLength(shared.length);
        for (const r of report.results) {
          const n = cases.filter((c) => idOf(c) === r.id).length;
          expect(r.executions ?? 1).toBe(n);
        }
        expect(report.counts.total).toBe(ids.size);
      }),
      { numRuns: 200 },
    );
  });

  it('a sequence of attempts: never better than failing unless a later attempt passed every execution', () => {
    // Attempt 1 is random; each rerun takes a random subset of the ids (what an adapter re-runs)
    // with a random number of executions and statuses per id.
    const runArb = fc
      .tuple(
        reportArb,
        fc.array(
          fc.array(
            fc.tuple(fc.nat(7), fc.array(fc.constantFrom(...STATUSES), { minLength: 1, maxLength: 3 })),
            { maxLength: 6 },
          ),
          {
            maxLength: 3,
          },
        ),
      )
      .map(([first, reruns]) => {
        const pool = [...new Map(first.map((c) => [idOf(c), c])).values()];
        const later = reruns.map((picks) =>
          picks.flatMap(([i, statuses]) => {
            const t = pool[i % pool.length]!;
            return statuses.map((status) => ({ classname: t.classname, name: t.name, status }));
          }),
        );
        return [first, ...later.filter((cases) => cases.length > 0)];
      });
    fc.assert(
      fc.property(runArb, (reports) => {
        const attempts = reports.map((cases, i) => readAttempt(i + 1, cases));
        const want = expected(reports);
        const state = runState(attempts);
        expect({ failing: state.failing, flaky: state.flaky }).toEqual(want);
        const decision = decide(attempts, { maxRuns: reports.length });
        if (want.failing.length > 0) expect(decision.reason).not.toBe('all-passed');
        // The merged report says the same after a write and a read.
        const merged = parseJUnit(writeMergedJUnit(attempts)).results;
        const back = runState([{ number: 1, results: merged }]);
        expect({ failing: back.failing, flaky: back.flaky }).toEqual(want);
      }),
      { numRuns: 200 },
    );
  });

  it("the fooling input: read as 'retries', a failure followed by a pass in one report is called flaky", () => {
    // Shows the property above is not vacuous: the other rule breaks it on the simplest input.
    const cases: Case[] = [
      { classname: 'c.One', name: 'a', status: 'failed' },
      { classname: 'c.One', name: 'a', status: 'passed' },
    ];
    const asRetries = parseJUnit(toXml(cases), { repeats: 'retries' }).results;
    expect(runState([{ number: 1, results: asRetries }]).flaky).toEqual(['c.One::a']);
    expect(expected([cases])).toEqual({ failing: ['c.One::a'], flaky: [] });
  });
});
