import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sampleAttemptSummary, sampleRunDetail, sampleTestRow } from '../../core/test/wire-samples.js';
import { ExitCode, InfrastructureError } from '../src/cli/exit-codes.js';
import { LocalState } from '../src/store/local-state.js';
import { RunStore } from '../src/store/run-store.js';
import { type Answer, client, type Sent } from './fake-reporter-http.js';

// RunStore.loadAttempts against a fake reporter whose run changes between the run detail and the
// pages of its attempts (the reads are separate requests): the attempts are one consistent read, or
// an outage, never an attempt emptied by the race (attempt 1 with no results reads as all green).

const failing = sampleTestRow({ id: 'a::f', name: 'f', status: 'failed', message: 'boom' });
const passed = sampleTestRow({ id: 'a::p', name: 'p' });
/** Run detail: attempt 1 with `total` tests, one failing, in one uploaded shard. */
const detail = (total: number) => sampleRunDetail([sampleAttemptSummary({ threads: 2 }, 1, total)], ['a::f']);

/** Answers the n-th run detail and the n-th listing with the given states (the last one repeats). */
function reporterOf(reads: { detail: unknown; rows: unknown[] }[]) {
  let details = 0;
  let lists = 0;
  return client(({ url }: Sent): Answer => {
    if (url.endsWith('/tests')) {
      const rows = reads[Math.min(lists++, reads.length - 1)]!.rows;
      return { status: 200, data: { data: rows, nextCursor: null } };
    }
    return { status: 200, data: reads[Math.min(details++, reads.length - 1)]!.detail };
  });
}

async function store(reporter: ReturnType<typeof client>['reporter'], fallback: boolean) {
  const warnings: string[] = [];
  const local = new LocalState(await mkdtemp(join(tmpdir(), 'dozhim-store-')));
  return { store: new RunStore(local, reporter, (m) => warnings.push(m), fallback), warnings };
}

const runDetails = (sent: Sent[]) => sent.filter((s) => !s.url.endsWith('/tests')).length;

describe('RunStore.loadAttempts reads the run as one consistent state', () => {
  it('pages that fit the run detail: taken, the run read once', async () => {
    const { reporter, sent } = reporterOf([{ detail: detail(2), rows: [failing, passed] }]);
    const { store: s } = await store(reporter, false);
    const attempts = await s.loadAttempts('r1');
    expect(attempts.map((a) => [a.number, a.results.map((r) => [r.id, r.status])])).toEqual([
      [
        1,
        [
          ['a::f', 'failed'],
          ['a::p', 'passed'],
        ],
      ],
    ]);
    expect(runDetails(sent)).toBe(1);
  });

  it('an attempt emptied after the run detail (deleted, new try) is never "nothing failed": a query exits 7', async () => {
    // The fooling input: the detail says attempt 1 has a shard (so it counts as reported) with one
    // failing test of 3; the pages, read after the run changed, list nothing.
    const { reporter, sent } = reporterOf([{ detail: detail(3), rows: [] }]);
    const { store: s } = await store(reporter, false);
    const e = await s.loadAttempts('r1').catch((err: unknown) => err);
    expect(e).toBeInstanceOf(InfrastructureError);
    expect((e as InfrastructureError).exitCode).toBe(ExitCode.Infrastructure);
    expect((e as Error).message).toMatch(
      /cannot load the run: .*attempt 1 of run r1: the pages list 0 tests, the run detail 3/,
    );
    // Read again a bounded number of times before giving up.
    expect(runDetails(sent)).toBe(3);
  });

  it('a command that runs tests goes on in local mode, loudly, and takes nothing of the misfit', async () => {
    const { reporter } = reporterOf([{ detail: detail(3), rows: [failing] }]);
    const { store: s, warnings } = await store(reporter, true);
    expect(await s.loadAttempts('r1')).toEqual([]);
    expect(s.usingReporter).toBe(false);
    expect(s.localModeReason).toMatch(/the pages list 1 tests, the run detail 3/);
    expect(warnings.join('')).toMatch(/LOCAL MODE/);
  });

  it('a misfit explained by a change between the reads: the run is read again and taken as it is now', async () => {
    // A second shard uploaded between the detail (1 test) and the pages (2 tests); read again, both fit.
    const { reporter, sent } = reporterOf([
      { detail: detail(1), rows: [failing, passed] },
      { detail: detail(2), rows: [failing, passed] },
    ]);
    const { store: s } = await store(reporter, false);
    const attempts = await s.loadAttempts('r1');
    expect(attempts[0]!.results.map((r) => r.id)).toEqual(['a::f', 'a::p']);
    expect(runDetails(sent)).toBe(2);
    // A new try started between the reads: read again, the run has no attempt yet.
    const fresh = reporterOf([
      { detail: detail(3), rows: [] },
      { detail: sampleRunDetail([]), rows: [] },
    ]);
    expect(await (await store(fresh.reporter, false)).store.loadAttempts('r1')).toEqual([]);
  });
});
