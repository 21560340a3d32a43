// The CLI's merged report: written as a stream, and always within the byte cap of dozhim's reader
// (rewritten with texts cut when the full one would be larger), so dozhim reads what dozhim wrote.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Attempt, parseJUnit, runState, type TestResult, writeMergedJUnit } from '@dozhim/core';
import { afterEach, describe, expect, it } from 'vitest';
import { writeReport } from '../src/loop/run-session.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const trace = 'x'.repeat(3000);
const result = (i: number, failed: boolean): TestResult => ({
  id: `c::t${i}`,
  suite: 'c',
  classname: 'c',
  name: `t${i}`,
  status: failed ? 'failed' : 'passed',
  durationMs: 5,
  properties: {},
  retries: [],
  ...(failed ? { message: `boom ${i}`, details: `${i} ${trace}`, stdout: `out ${i} ${trace}` } : {}),
});
const attempts: Attempt[] = [
  { number: 1, results: Array.from({ length: 200 }, (_, i) => result(i, i < 100)) },
  { number: 2, results: Array.from({ length: 100 }, (_, i) => result(i, i < 50)) },
];

describe('writeReport', () => {
  it('writes the merged report unchanged when it fits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dozhim-report-'));
    dirs.push(dir);
    const path = join(dir, 'sub', 'report.xml');
    await writeReport(path, attempts, 'run-1');
    expect(readFileSync(path, 'utf8')).toBe(writeMergedJUnit(attempts, { name: 'run-1' }));
  });

  it('stays within the reader cap when the full report would not, and keeps every verdict', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dozhim-report-'));
    dirs.push(dir);
    const path = join(dir, 'report.xml');
    const full = Buffer.byteLength(
      writeMergedJUnit(attempts, { name: 'run-1', maxBytes: Number.POSITIVE_INFINITY }),
    );
    const cap = Math.floor(full / 4);
    await writeReport(path, attempts, 'run-1', runState(attempts), cap);
    expect(statSync(path).size).toBeLessThanOrEqual(cap);
    const read = parseJUnit(readFileSync(path), { maxBytes: cap });
    const back = runState([{ number: 1, results: read.results }]);
    expect(back.failing).toEqual(runState(attempts).failing);
    expect(back.flaky).toEqual(runState(attempts).flaky);
    expect(back.failing).toHaveLength(50);
    expect(back.flaky).toHaveLength(50);
  });
});
