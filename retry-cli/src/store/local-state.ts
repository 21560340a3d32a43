import { mkdir, open, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Attempt, attemptReported, type TestResult } from '@dozhim/core';
import type { AttemptPatch } from './reporter-client.js';
import {
  ATTEMPT_META_FILE,
  attemptDir,
  attemptNumberOf,
  resultsFileName,
  runDir,
  shardOfResultsFile,
} from './state-layout.js';

/**
 * Attempt results kept on disk under `<stateDir>/<runId>/attempt-<n>/` (layout: state-layout.ts), so
 * `dozhim attempt`, `failed`, `decide` and `report` work without a reporter, and a run survives a
 * reporter outage.
 */

export interface AttemptMeta extends AttemptPatch {
  /** Selected ids (absent for the first attempt: the whole suite). */
  selected?: string[];
}

export interface StoredAttempt extends Attempt {
  meta: AttemptMeta;
  /** Names of the shards that reported (a sharded attempt 1 is complete when all meta.shardTotal did). */
  shards?: string[];
}

/**
 * How many tests a rerun selected; undefined for an attempt of the whole suite. The ids are known
 * only to the job that ran it (local state); an attempt read back from the reporter has the count
 * alone (`meta.selectedCount`), and the count is what every view shows.
 */
export const selectedCount = (a: Pick<StoredAttempt, 'selected' | 'meta'>): number | undefined =>
  a.selected?.length ?? a.meta.selectedCount;

/** Write-then-rename: a reader (another job, a crash) never sees half a file. */
async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(value));
  await rename(tmp, path);
}

/** Results are written a batch at a time, so 100k of them are never one JSON string in memory. */
const RESULTS_PER_WRITE = 2000;

/** writeJsonAtomic for an array, streamed: the same JSON text as JSON.stringify(items). */
async function writeJsonArrayAtomic(path: string, items: readonly unknown[]): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  const file = await open(tmp, 'w');
  try {
    for (let i = 0; i < items.length || i === 0; i += RESULTS_PER_WRITE) {
      const batch = items.slice(i, i + RESULTS_PER_WRITE).map((r) => JSON.stringify(r));
      const lead = i === 0 ? '[' : ',';
      const close = i + RESULTS_PER_WRITE >= items.length ? ']' : '';
      await file.write(`${lead}${batch.join(',')}${close}`);
    }
  } finally {
    await file.close();
  }
  await rename(tmp, path);
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export class LocalState {
  constructor(readonly stateDir: string) {}

  runDir(runId: string): string {
    return runDir(this.stateDir, runId);
  }

  async saveResults(
    runId: string,
    attempt: number,
    shard: string,
    results: readonly TestResult[],
  ): Promise<void> {
    const dir = attemptDir(this.stateDir, runId, attempt);
    await mkdir(dir, { recursive: true });
    await writeJsonArrayAtomic(join(dir, resultsFileName(shard)), results);
  }

  async patchAttempt(runId: string, attempt: number, patch: AttemptMeta): Promise<void> {
    const dir = attemptDir(this.stateDir, runId, attempt);
    await mkdir(dir, { recursive: true });
    const path = join(dir, ATTEMPT_META_FILE);
    const prev = (await readJson<AttemptMeta>(path)) ?? {};
    await writeJsonAtomic(path, { ...prev, ...patch });
  }

  /** Every attempt recorded for the run, oldest first; shards of one attempt are merged. */
  async loadAttempts(runId: string): Promise<StoredAttempt[]> {
    let entries: string[];
    try {
      entries = await readdir(this.runDir(runId));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const numbers = entries
      .map(attemptNumberOf)
      .filter((n): n is number => n !== undefined)
      .sort((a, b) => a - b);
    const attempts: StoredAttempt[] = [];
    for (const n of numbers) {
      const dir = attemptDir(this.stateDir, runId, n);
      const files = (await readdir(dir)).filter((f) => shardOfResultsFile(f) !== undefined).sort();
      // An attempt that never produced results (crashed, interrupted early) is not an attempt to decide on.
      if (!attemptReported({ shards: files.length, results: 0 })) continue;
      const results: TestResult[] = [];
      for (const f of files) results.push(...((await readJson<TestResult[]>(join(dir, f))) ?? []));
      const meta = (await readJson<AttemptMeta>(join(dir, ATTEMPT_META_FILE))) ?? {};
      attempts.push({
        number: n,
        ...(meta.threads !== undefined ? { threads: meta.threads } : {}),
        ...(meta.selected ? { selected: meta.selected } : {}),
        results,
        // File-safe forms of the names (`1/3` is stored as `1_3`): compare with safeSegment().
        shards: files.map((f) => shardOfResultsFile(f)!),
        meta,
      });
    }
    return attempts;
  }
}
