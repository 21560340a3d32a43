import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Attempt,
  countStatuses,
  parseJUnit,
  type RetryEvidence,
  type RetryEvidenceKind,
  readJUnitFile,
  runState,
  type TestResult,
  type TestStatus,
  testId,
  writeMergedJUnit,
} from '@dozhim/core';
import { describe, expect, it } from 'vitest';

/** Deterministic PRNG (mulberry32) so every generated run can be reproduced from its seed. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
  };
}

const NAMES = ['plain', 'with space', 'quote"s', "apo's", 'a<b>', 'amp&', '123', 'ünï ✓', 'x::y', '[p-1]'];
const EVIDENCE: RetryEvidenceKind[] = ['flakyFailure', 'flakyError', 'rerunFailure', 'rerunError'];

function makeResult(
  rng: ReturnType<typeof prng>,
  suite: string,
  classname: string,
  name: string,
  status: TestStatus,
) {
  const r: TestResult = {
    id: testId({ suite, classname, name }),
    suite,
    classname,
    name,
    status,
    durationMs: rng.int(5000),
    properties: rng.next() < 0.2 ? { owner: rng.pick(NAMES) } : {},
    retries: [],
  };
  if (status !== 'passed') r.message = `${status} ${rng.pick(NAMES)}`;
  if (status === 'failed' || status === 'error') {
    r.type = rng.pick(['AssertionError', 'TimeoutError', 'java.io.IOException']);
    r.details = `trace of ${name}\n  at line ${rng.int(100)}`;
    if (rng.next() < 0.5) r.stdout = `log <${rng.int(1000)}> & more`;
    if (rng.next() < 0.2) r.stderr = 'warning';
  }
  // Some producers (Surefire, Gradle, Playwright) already retried inside the attempt.
  if (rng.next() < 0.15) {
    const n = 1 + rng.int(2);
    for (let i = 0; i < n; i++) {
      const ev: RetryEvidence = {
        kind: rng.pick(EVIDENCE),
        message: `in-run try ${i}`,
        durationMs: rng.int(100),
      };
      if (rng.next() < 0.5) ev.details = `stack ${i}`;
      r.retries.push(ev);
    }
  }
  return r;
}

/** A whole run the way dozhim makes one: attempt 1 runs all, each rerun only what is still failing. */
function generateRun(seed: number): Attempt[] {
  const rng = prng(seed);
  const tests = Array.from({ length: 5 + rng.int(40) }, (_, i) => {
    const suite = `suite.${rng.int(4)}`;
    const classname = rng.next() < 0.8 ? `${suite}.Class${rng.int(3)}` : '';
    return { suite, classname, name: `${rng.pick(NAMES)} ${i}` };
  });
  const status = (): TestStatus =>
    rng.pick<TestStatus>(['passed', 'passed', 'passed', 'failed', 'failed', 'error', 'skipped']);
  const attempts: Attempt[] = [
    {
      number: 1,
      threads: 8,
      results: tests.map((t) => makeResult(rng, t.suite, t.classname, t.name, status())),
    },
  ];
  for (let n = 2; n <= 1 + rng.int(4); n++) {
    const failing = new Set(runState(attempts).failing);
    if (failing.size === 0) break;
    const rerun = tests.filter((t) => failing.has(testId(t)));
    attempts.push({
      number: n,
      results: rerun.map((t) => makeResult(rng, t.suite, t.classname, t.name, status())),
    });
  }
  return attempts;
}

/** What must survive a write and a read: per-test status, flaky marks, failing set and counts. */
function assertRoundTrip(attempts: readonly Attempt[]) {
  const before = runState(attempts);
  const xml = writeMergedJUnit(attempts, { name: 'round-trip' });
  const { results, counts } = parseJUnit(xml);
  const after = runState([{ number: 1, results }]);

  expect(results.map((r) => r.id).sort()).toEqual([...before.tests.keys()].sort());
  for (const r of results) expect([r.id, r.status]).toEqual([r.id, before.tests.get(r.id)!.status]);
  expect(after.flaky).toEqual(before.flaky);
  expect(after.failing).toEqual(before.failing);
  expect(counts).toEqual(countStatuses([...before.tests.values()].map((t) => t.latest)));
  // Every failed execution is still there: shown as the verdict or as a flaky*/rerun* element.
  for (const r of results) {
    const t = before.tests.get(r.id)!;
    const executions = t.history.reduce(
      (n, h) =>
        n + h.result.retries.length + (h.result.status === 'failed' || h.result.status === 'error' ? 1 : 0),
      0,
    );
    const shown = r.status === 'failed' || r.status === 'error' ? 1 : 0;
    expect(r.retries.length + shown).toBe(executions);
  }
  // Writing what was read gives the same bytes: nothing is reordered or lost on the way.
  expect(writeMergedJUnit([{ number: 1, results }], { name: 'round-trip' })).toBe(xml);
  return { xml, results };
}

describe('round trip: write → read gives the same statuses, flaky marks and counts', () => {
  it.each(Array.from({ length: 60 }, (_, i) => i + 1))('generated run, seed %i', (seed) => {
    assertRoundTrip(generateRun(seed));
  });

  it('in-run retry evidence of an earlier shard or attempt keeps a passing test flaky', () => {
    const rng = prng(7);
    const flakyTry = () => {
      const r = makeResult(rng, 'S', 'S.C', 't', 'passed');
      r.retries = [{ kind: 'flakyFailure', message: 'first try' }];
      return r;
    };
    const clean = () => ({ ...makeResult(rng, 'S', 'S.C', 't', 'passed'), retries: [] });
    for (const attempts of [
      [{ number: 1, results: [flakyTry(), clean()] }], // two shards of one attempt
      [
        { number: 1, results: [flakyTry()] },
        { number: 2, results: [clean()] },
      ],
    ]) {
      expect(runState(attempts).flaky).toEqual(['S.C::t']);
      assertRoundTrip(attempts);
    }
  });

  it('every committed real-framework report survives write → read', async () => {
    const dir = new URL('./fixtures/real/', import.meta.url).pathname;
    const files = readdirSync(dir).filter((f) => f.endsWith('.xml'));
    expect(files.length, `no real-framework reports in ${dir}`).toBeGreaterThan(0);
    for (const file of files) {
      const { results } = await readJUnitFile(join(dir, file));
      assertRoundTrip([{ number: 1, results }]);
    }
  });

  it('a run built from hand-written producer reports', async () => {
    const fixture = (name: string) => new URL(`./fixtures/handwritten/${name}`, import.meta.url).pathname;
    const first = [
      ...(await readJUnitFile(fixture('surefire-reruns.xml'))).results,
      ...(await readJUnitFile(fixture('pytest-xunit1.xml'))).results,
      ...(await readJUnitFile(fixture('jest-junit.xml'))).results,
    ];
    // Playwright projects and repeated executions survive the trip too (project → hostname,
    // executions → the dozhim.executions property); a rerun of other tests leaves them as they are.
    const playwright = (await readJUnitFile(fixture('playwright-projects.xml'))).results;
    expect(playwright.some((r) => r.project) && playwright.some((r) => r.executions)).toBe(true);
    first.push(...playwright.filter((r) => r.status === 'passed'));
    // The rerun of everything that failed: Surefire's refunds passes now, the rest still fail.
    const failing = runState([{ number: 1, results: first }]).failing;
    const rerunXml = `<testsuites><testsuite name="rerun">${failing
      .map((id) => {
        const r = first.find((x) => x.id === id)!;
        const outcome = r.name === 'refunds' ? '' : '<failure message="still broken"/>';
        const file = r.file ? ` file="${r.file}"` : '';
        return `<testcase classname="${r.classname}" name="${r.name.replace(/"/g, '&quot;')}"${file} time="0.5">${outcome}</testcase>`;
      })
      .join('')}</testsuite></testsuites>`;
    const second = parseJUnit(rerunXml).results.map((r) => ({
      ...r,
      suite: first.find((x) => x.id === r.id)!.suite,
    }));
    expect(second.map((r) => r.id).sort()).toEqual(failing);

    const { results } = assertRoundTrip([
      { number: 1, results: first },
      { number: 2, results: second },
    ]);
    const refunds = results.find((r) => r.id === 'com.example.CheckoutIT::refunds')!;
    expect(refunds.status).toBe('passed');
    // Its first attempt had a <failure> and two <rerunFailure>s: three failed runs, now flaky evidence.
    expect(refunds.retries.map((r) => [r.kind, r.message])).toEqual([
      ['flakyFailure', 'refund not found'],
      ['flakyFailure', 'refund not found (rerun 1)'],
      ['flakyFailure', 'refund not found (rerun 2)'],
    ]);
  });
});
