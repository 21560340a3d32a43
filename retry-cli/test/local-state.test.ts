// Local state writes an attempt's results a batch at a time (100k results are never one JSON string)
// and reads back exactly what was saved, at every batch boundary.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestResult } from '@dozhim/core';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalState } from '../src/store/local-state.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const result = (i: number): TestResult => ({
  id: `c::t${i} "quoted" ünï`,
  suite: 'c',
  classname: 'c',
  name: `t${i} "quoted" ünï`,
  status: i % 3 === 0 ? 'failed' : 'passed',
  durationMs: i,
  properties: i % 2 ? { k: `v${i}` } : {},
  retries: [],
  ...(i % 3 === 0 ? { message: 'boom\n\tat x', details: 'line 1\nline 2' } : {}),
});

describe('local state: results file', () => {
  it('is the JSON of the results, and loads back equal, at every batch boundary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dozhim-state-'));
    dirs.push(dir);
    const state = new LocalState(dir);
    for (const n of [0, 1, 1999, 2000, 2001, 4001]) {
      const results = Array.from({ length: n }, (_, i) => result(i));
      await state.saveResults('run-1', 1, 'default', results);
      const text = readFileSync(join(dir, 'run-1', 'attempt-1', 'results-default.json'), 'utf8');
      expect(text).toBe(JSON.stringify(results));
      const [loaded] = await state.loadAttempts('run-1');
      expect(loaded?.results).toEqual(results);
    }
  });
});
