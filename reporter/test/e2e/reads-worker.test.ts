import type { TestResult, TestStatus } from '@dozhim/core';
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open.js';
import { ReadWorker, type ReportStream } from '../../src/db/read-worker.js';
import { Repository, RunGoneError } from '../../src/db/repository.js';
import { deleteRun } from '../../src/db/retention.js';
import { buildReporter, tempDir } from '../helpers/server.js';
import { replaceShard } from '../helpers/shards.js';

// The read worker answers on its own connection and keeps answers until the next commit: a write on
// the HTTP thread's connection (or the parse worker's) must show in the very next read, never a stale one.
const ENTRY = new URL('../../dist/db/read-worker-main.js', import.meta.url);
const NOW = '2026-01-01T00:00:00.000Z';
const result = (id: string, status: TestStatus): TestResult => ({
  id,
  suite: 's',
  classname: 'C',
  name: id,
  status,
  durationMs: 1,
  properties: {},
  retries: [],
});

let tmp: ReturnType<typeof tempDir>;
let db: Database.Database;
let repo: Repository;
let reads: ReadWorker;
beforeAll(() => {
  buildReporter();
  tmp = tempDir();
  db = openDatabase(`${tmp.dir}/reads.sqlite`);
  repo = new Repository(db);
  reads = new ReadWorker(repo, ENTRY);
});
afterAll(async () => {
  await reads.close();
  db.close();
  tmp.cleanup();
});

async function text(stream: ReportStream): Promise<string> {
  const parts: Uint8Array[] = [];
  for (let c = await stream.next(); c; c = await stream.next()) parts.push(c);
  return Buffer.concat(parts).toString('utf8');
}

describe('ReadWorker', () => {
  it('answers like the in-thread computation, and the next read after any commit sees it', async () => {
    replaceShard(repo, 'rw', 1, 'a', [result('C::x', 'failed'), result('C::y', 'passed')], NOW);
    const { pk } = repo.runKey('rw')!;
    const first = await reads.read({ op: 'summary', runPk: pk });
    expect(first).toEqual(repo.summary(pk));
    expect(first.current.failing).toEqual(['C::x']);
    // Same answer twice (from the cache), then a rerun passes x: the next read must say so.
    expect(await reads.read({ op: 'summary', runPk: pk })).toEqual(first);
    const report1 = await text(await reads.report(pk, 'rw'));
    expect(report1).toContain('<failure');
    replaceShard(repo, 'rw', 2, 'a', [result('C::x', 'passed')], NOW);
    const second = await reads.read({ op: 'summary', runPk: pk });
    expect(second.current.failing).toEqual([]);
    expect(second.current.flaky).toEqual(['C::x']);
    const report2 = await text(await reads.report(pk, 'rw'));
    expect(report2).not.toContain('<failure');
    expect(report2).toContain('<flakyFailure');
    const decision = await reads.read({ op: 'decision', runPk: pk, options: {} });
    expect(decision).toMatchObject({ action: expect.any(String) });
    const tests = await reads.read({ op: 'tests', runPk: pk, query: { status: 'flaky', limit: 10 } });
    expect(tests.data.map((r) => r.id)).toEqual(['C::x']);
  });

  it('a report larger than one chunk arrives whole, and cancelling one mid-way leaves the worker usable', async () => {
    const many = Array.from({ length: 12_000 }, (_, i) =>
      result(`C::t${String(i).padStart(5, '0')}`, 'failed'),
    );
    replaceShard(repo, 'big', 1, 'a', many, NOW);
    const { pk } = repo.runKey('big')!;
    const xml = await text(await reads.report(pk, 'big'));
    expect(Buffer.byteLength(xml)).toBeGreaterThan(1024 * 1024);
    expect(xml.split('<testcase ').length - 1).toBe(12_000);
    expect(xml.endsWith('</testsuites>\n')).toBe(true);
    const partial = await reads.report(pk, 'big');
    expect((await partial.next())!.byteLength).toBe(1024 * 1024);
    partial.cancel();
    expect(await partial.next()).toBeUndefined();
    expect((await reads.read({ op: 'summary', runPk: pk })).current.totals.failed).toBe(12_000);
  });

  it('a run deleted after the route found it answers RunGoneError (404), never an empty run', async () => {
    replaceShard(repo, 'gone', 1, 'a', [result('C::x', 'failed')], NOW);
    const { pk } = repo.runKey('gone')!;
    expect((await reads.read({ op: 'summary', runPk: pk })).current.failing).toEqual(['C::x']);
    // The DELETE lands between the route's lookup (pk above) and the worker's snapshot.
    expect(deleteRun(db, 'gone')).toBe(true);
    for (const op of ['summary', 'decision'] as const) {
      const req = op === 'summary' ? { op, runPk: pk } : { op, runPk: pk, options: {} };
      await expect(reads.read(req as never)).rejects.toBeInstanceOf(RunGoneError);
    }
    await expect(
      reads.read({ op: 'tests', runPk: pk, query: { status: 'failed', limit: 10 } }),
    ).rejects.toBeInstanceOf(RunGoneError);
    await expect(reads.report(pk, 'gone')).rejects.toBeInstanceOf(RunGoneError);
    // The worker is still usable after those answers.
    replaceShard(repo, 'after', 1, 'a', [result('C::y', 'passed')], NOW);
    const after = repo.runKey('after')!.pk;
    expect((await reads.read({ op: 'summary', runPk: after })).current.totals.passed).toBe(1);
  });
});
