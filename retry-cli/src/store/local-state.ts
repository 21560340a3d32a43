import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Attempt, attemptReported, type TestResult } from '@dozhim/core';
import { attemptDir, safeSegment } from '../loop/junit-collect.js';
import type { AttemptPatch } from './reporter-client.js';

/**
 * Attempt results kept on disk under `<stateDir>/<runId>/attempt-<n>/`, so `dozhim attempt`,
 * `failed`, `decide` and `report` work without a reporter, and a run survives a reporter outage.
 *
 *   results-<shard>.json   the normalized results of one shard (re-upload replaces it)
 *   attempt.json           threads, selected ids, timestamps, exit code, decision
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

const ATTEMPT_DIR_RE = /^attempt-(\d+)$/;
const RESULTS_RE = /^results-(.+)\.json$/;

/** Write-then-rename: a reader (another job, a crash) never sees half a file. */
async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(value));
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
    return join(this.stateDir, safeSegment(runId));
  }

  async saveResults(
    runId: string,
    attempt: number,
    shard: string,
    results: readonly TestResult[],
  ): Promise<void> {
    const dir = attemptDir(this.stateDir, runId, attempt);
    await mkdir(dir, { recursive: true });
    await writeJsonAtomic(join(dir, `results-${safeSegment(shard)}.json`), results);
  }

  async patchAttempt(runId: string, attempt: number, patch: AttemptMeta): Promise<void> {
    const dir = attemptDir(this.stateDir, runId, attempt);
    await mkdir(dir, { recursive: true });
    const path = join(dir, 'attempt.json');
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
      .map((e) => ATTEMPT_DIR_RE.exec(e)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    const attempts: StoredAttempt[] = [];
    for (const n of numbers) {
      const dir = attemptDir(this.stateDir, runId, n);
      const files = (await readdir(dir)).filter((f) => RESULTS_RE.test(f)).sort();
      // An attempt that never produced results (crashed, interrupted early) is not an attempt to decide on.
      if (!attemptReported({ shards: files.length, results: 0 })) continue;
      const results: TestResult[] = [];
      for (const f of files) results.push(...((await readJson<TestResult[]>(join(dir, f))) ?? []));
      const meta = (await readJson<AttemptMeta>(join(dir, 'attempt.json'))) ?? {};
      attempts.push({
        number: n,
        ...(meta.threads !== undefined ? { threads: meta.threads } : {}),
        ...(meta.selected ? { selected: meta.selected } : {}),
        results,
        // File-safe forms of the names (`1/3` is stored as `1_3`): compare with safeSegment().
        shards: files.map((f) => RESULTS_RE.exec(f)![1]!),
        meta,
      });
    }
    return attempts;
  }
}
