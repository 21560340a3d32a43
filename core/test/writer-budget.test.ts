// A report dozhim writes is always one dozhim reads: the merged report stays within the reader's byte
// cap by cutting texts, never by dropping a test, a status or a retry element, and refuses (throws)
// when even that cannot make it fit, instead of writing a report its own reader would refuse.
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_INPUT_BYTES,
  mergedJUnitChunks,
  parseJUnit,
  readJUnitFile,
  runState,
  writeMergedJUnit,
} from '../src/index.js';
import type { Attempt, TestResult, TestStatus } from '../src/model.js';

const TRACE = Array.from(
  { length: 12 },
  (_, i) => `\tat com.example.Handler${i}.handle(Handler${i}.java:${i})`,
).join('\n');

function result(i: number, status: TestStatus, attempt: number, text = TRACE): TestResult {
  const failing = status === 'failed' || status === 'error';
  return {
    id: `c.Suite${i % 7}::t${i}`,
    suite: `c.Suite${i % 7}`,
    classname: `c.Suite${i % 7}`,
    name: `t${i}`,
    status,
    durationMs: 12,
    properties: {},
    retries: [],
    ...(failing
      ? {
          message: `expected 200 but was 503 <&> (attempt ${attempt})`,
          type: 'AssertionError',
          details: text,
          stdout: `GET /${i} -> 503\n${text}`,
        }
      : {}),
  };
}

/**
 * `tests` tests over 3 attempts: the first third fails every time, the next third fails once then
 * passes (flaky), the rest pass.
 */
function run(tests: number, text = TRACE): Attempt[] {
  const all = Array.from({ length: tests }, (_, i) => i);
  const stuck = all.filter((i) => i < tests / 3);
  const flaky = all.filter((i) => i >= tests / 3 && i < (2 * tests) / 3);
  return [
    { number: 1, results: all.map((i) => result(i, i < (2 * tests) / 3 ? 'failed' : 'passed', 1, text)) },
    {
      number: 2,
      results: [
        ...stuck.map((i) => result(i, 'failed', 2, text)),
        ...flaky.map((i) => result(i, 'passed', 2)),
      ],
    },
    { number: 3, results: stuck.map((i) => result(i, 'error', 3, text)) },
  ];
}

/** What the merged report must keep whatever its size: every test, its status, its flakiness. */
function verdicts(attempts: Attempt[]) {
  const s = runState(attempts);
  return { failing: s.failing, flaky: s.flaky, ids: [...s.tests.keys()].sort() };
}

function verdictsRead(xml: string, maxBytes: number) {
  const read = parseJUnit(xml, { maxBytes, repeats: 'executions' });
  return verdicts([{ number: 1, results: read.results }]);
}

describe('merged report size: always readable by dozhim', () => {
  it('cuts texts, never tests or verdicts, to stay within maxBytes, and the reader takes it', () => {
    const attempts = run(300);
    const full = writeMergedJUnit(attempts, { maxBytes: Number.POSITIVE_INFINITY });
    const maxBytes = Math.floor(Buffer.byteLength(full) / 3);
    const xml = writeMergedJUnit(attempts, { maxBytes });
    expect(Buffer.byteLength(xml)).toBeLessThanOrEqual(maxBytes);
    // The uncapped report would be refused by a reader with that cap: the input that would fool a
    // test checking only "it reads".
    expect(() => parseJUnit(full, { maxBytes })).toThrow(expect.objectContaining({ code: 'too-large' }));
    expect(verdictsRead(xml, maxBytes)).toEqual(verdicts(attempts));
    expect(verdictsRead(full, Number.POSITIVE_INFINITY)).toEqual(verdicts(attempts));
    // Each failing test keeps its error (attempt 3) and both earlier failures as reruns, each flaky
    // one its flakyFailure.
    const count = (re: RegExp) => xml.match(re)?.length ?? 0;
    expect([count(/<error /g), count(/<rerunFailure /g), count(/<flakyFailure /g)]).toEqual([100, 200, 100]);
    expect(count(/<failure /g)).toBe(0);
    expect(xml).toContain('characters truncated]');
    // Cut to one common length, not emptied: the head of each trace is still there.
    expect(xml).toContain('<stackTrace>\tat com.example.Handler0.handle');
  });

  it('writes the report unchanged when it fits', () => {
    const attempts = run(30);
    const xml = writeMergedJUnit(attempts);
    expect(xml).toBe(writeMergedJUnit(attempts, { maxBytes: Number.POSITIVE_INFINITY }));
    expect(xml).not.toContain('characters truncated]');
    expect(writeMergedJUnit(attempts, { maxBytes: Buffer.byteLength(xml) })).toBe(xml);
  });

  it('the chunks are the report', () => {
    const attempts = run(60);
    for (const maxBytes of [Number.POSITIVE_INFINITY, 40_000]) {
      expect([...mergedJUnitChunks(attempts, { maxBytes })].join('')).toBe(
        writeMergedJUnit(attempts, { maxBytes }),
      );
    }
  });

  it('refuses to write a report that cannot fit even without texts', () => {
    const attempts = run(300);
    expect(() => writeMergedJUnit(attempts, { maxBytes: 20_000 })).toThrow(RangeError);
  });

  it('a 3-attempt run of 100k tests with traces, over the reader default when uncapped, reads back with the defaults', {
    timeout: 300_000,
  }, async () => {
    // ~390 characters of trace per failed execution, 3 executions for a third of the tests and 1 for
    // another third: about 130 MB of text, over DEFAULT_MAX_INPUT_BYTES.
    const text = TRACE.slice(0, 390);
    const attempts = run(100_000, text);
    const dir = mkdtempSync(join(tmpdir(), 'dozhim-budget-'));
    try {
      const path = join(dir, 'report.xml');
      const out = createWriteStream(path);
      for (const chunk of mergedJUnitChunks(attempts, { name: 'big' })) {
        if (!out.write(chunk)) await once(out, 'drain');
      }
      out.end();
      await finished(out);
      expect(statSync(path).size).toBeLessThanOrEqual(DEFAULT_MAX_INPUT_BYTES);
      const read = await readJUnitFile(path);
      expect(read.results).toHaveLength(100_000);
      // It had to be cut to fit (else this would not test the limit).
      expect(read.results.some((r) => r.details?.includes('characters truncated]'))).toBe(true);
      const state = runState([{ number: 1, results: read.results }]);
      expect(state.failing).toEqual(runState(attempts).failing);
      expect(state.flaky).toEqual(runState(attempts).flaky);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
