import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { JUnitParseError } from '@dozhim/core';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open.js';
import { AttemptGapError, Repository, WriteConflictError } from '../../src/db/repository.js';
import { ingestJUnit, inThreadParser } from '../../src/parse/junit-parser.js';
import { WorkerParser } from '../../src/parse/worker-parser.js';
import { ResultCapError } from '../../src/truncate.js';
import { junitXml, manyCases } from '../helpers/junit.js';
import { buildReporter, tempDir } from '../helpers/server.js';

// The lean ingest path: the worker parses AND inserts (own connection, one transaction), so parsed
// results never cross threads. Every guarantee of replaceShard must hold on that path too.
const ENTRY = new URL('../../dist/parse/worker-main.js', import.meta.url);
const NOW = '2026-01-01T00:00:00.000Z';
let tmp: ReturnType<typeof tempDir>;
let db: Database.Database;
let repo: Repository;
let parser: WorkerParser;

beforeAll(() => {
  buildReporter();
  tmp = tempDir();
  db = openDatabase(`${tmp.dir}/ingest.sqlite`);
  repo = new Repository(db);
  parser = new WorkerParser(ENTRY);
});
afterAll(async () => {
  await parser.close();
  db.close();
  tmp.cleanup();
});

const req = (xml: string) => ({ body: Buffer.from(xml), source: 'upload.xml', maxBytes: 10 * 1024 * 1024 });
const target = (runId: string, attempt: number, shard = 'default', expectedTry?: number) => ({
  runId,
  attempt,
  shard,
  now: NOW,
  expectedTry,
});
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('ingestJUnit through the worker', () => {
  it('stores the shard on the worker connection; counts come from the parsed rows; the HTTP side reads them', async () => {
    const xml = junitXml(manyCases(500, (i) => i % 5 === 0));
    const counts = await ingestJUnit(parser, repo, req(xml), target('w', 1, '1/2'));
    expect(counts).toEqual({ total: 500, passed: 400, failed: 100, error: 0, skipped: 0 });
    const { pk } = repo.runKey('w')!;
    expect(repo.failingIds(pk)).toHaveLength(100);
    expect(repo.summary(pk).attempts[0]!.shards[0]!.counts).toEqual(counts);
    // A re-upload replaces the shard (now all passing): nothing of the first upload is left.
    const again = await ingestJUnit(parser, repo, req(junitXml(manyCases(500))), target('w', 1, '1/2'));
    expect(again.failed).toBe(0);
    expect(repo.failingIds(pk)).toEqual([]);
    expect(repo.results(pk)).toHaveLength(500);
    // Same answer as the in-thread path on an identical run.
    const inThread = await ingestJUnit(inThreadParser, repo, req(xml), target('t', 1, '1/2'));
    expect(inThread).toEqual(counts);
  });

  it('the write guards are checked in the worker transaction and arrive as the same error classes', async () => {
    const xml = junitXml(manyCases(10, () => true));
    await ingestJUnit(parser, repo, req(xml), target('g', 1));
    // attempt_gap: attempt 3 before 2.
    expect(await failure(ingestJUnit(parser, repo, req(xml), target('g', 3)))).toBeInstanceOf(
      AttemptGapError,
    );
    // attempt_closed: attempt 2 started, a late attempt-1 shard must not change what it was chosen from.
    repo.patchAttempt('g', 2, { threads: 1 }, NOW);
    const closed = await failure(
      ingestJUnit(parser, repo, req(junitXml(manyCases(10))), target('g', 1, 'late')),
    );
    expect(closed).toBeInstanceOf(WriteConflictError);
    expect((closed as WriteConflictError).code).toBe('attempt_closed');
    // try_superseded: a writer of try 1 after a new try.
    repo.newTry('g', NOW);
    const stale = await failure(ingestJUnit(parser, repo, req(xml), target('g', 1, 'default', 1)));
    expect((stale as WriteConflictError).code).toBe('try_superseded');
    // Nothing of the refused uploads landed; the failures are still failing in the history row.
    const { pk } = repo.runKey('g')!;
    expect(repo.results(pk)).toEqual([]);
    const history = repo.runKey('g#try1')!;
    expect(repo.failingIds(history.pk)).toHaveLength(10);
  });

  it('a bad file and an over-long name are refused with their own errors, nothing stored', async () => {
    const bad = await failure(
      ingestJUnit(parser, repo, req('<testsuite>\n<testcase name="a">'), target('bad', 1)),
    );
    expect(bad).toBeInstanceOf(JUnitParseError);
    expect(bad).toMatchObject({ code: 'malformed', line: expect.any(Number) });
    const long = junitXml([{ classname: 'C', name: 'n'.repeat(70_000), status: 'failed' }]);
    const capped = await failure(ingestJUnit(parser, repo, req(long), target('cap', 1)));
    expect(capped).toBeInstanceOf(ResultCapError);
    expect((capped as ResultCapError).details).toMatchObject({ limit: 65_536 });
    expect(repo.runKey('bad')).toBeUndefined();
    expect(repo.runKey('cap')).toBeUndefined();
  });

  it('a storage error keeps its SQLite code across the thread boundary', async () => {
    const notADb = `${tmp.dir}/not-a-db.sqlite`;
    writeFileSync(notADb, 'this is not an SQLite database, but a text file of some length '.repeat(100));
    const err = await failure(parser.parseAndStore(req(junitXml(manyCases(1))), notADb, target('x', 1)));
    expect(err).toBeInstanceOf(Database.SqliteError);
    expect((err as InstanceType<typeof Database.SqliteError>).code).toBe('SQLITE_NOTADB');
  });

  it('moves a body that owns its buffer without a copy, and never detaches a pooled slice', async () => {
    const xml = junitXml(manyCases(3));
    const own = new Uint8Array(Buffer.byteLength(xml));
    own.set(Buffer.from(xml));
    await ingestJUnit(parser, repo, { body: own, source: 'own', maxBytes: 1 << 20 }, target('move', 1, 'a'));
    expect(own.byteLength).toBe(0); // transferred
    const pooled = Buffer.from(xml); // small Buffers are slices of a shared pool
    const copy = Buffer.from(pooled);
    await ingestJUnit(
      parser,
      repo,
      { body: pooled, source: 'pooled', maxBytes: 1 << 20 },
      target('move', 1, 'b'),
    );
    expect(pooled.equals(copy)).toBe(true);
  });
});

describe('reporter bench, quick mode', () => {
  it('prints every figure next to its limit from one run', () => {
    const script = fileURLToPath(new URL('../../bench/reporter.mjs', import.meta.url));
    const r = spawnSync(process.execPath, [script, '--quick'], { encoding: 'utf8', timeout: 240_000 });
    expect(r.status, r.stderr).toBe(0);
    for (const line of [
      /EXPLAIN QUERY PLAN/,
      /failingIds: SEARCH f USING COVERING INDEX results_failing/,
      /GET \/failedTests\/:runId .* p50 .*x \/healthz p50 .*\(limit 1\.5x\); p99 .*x \/healthz p99 .*\(limit 2x\)/,
      /GET \/api\/v1\/runs\/:runId .* p50 .*\(limit 30 ms\)/,
      /POST junit 1,000 tests .* speed \d+\.\d+x of raw \(limit >= 0\.3x/,
      /POST junit 10,000 tests .* speed \d+\.\d+x of raw \(limit >= 0\.6x/,
      /RSS: idle \d+ MiB; .* = \d+\.\d+x idle \(limit 1\.5x\)/,
    ])
      expect(r.stdout).toMatch(line);
  }, 300_000);
});
