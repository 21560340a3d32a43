import { rename } from 'node:fs/promises';
import { attemptReported, type TestResult } from '@dozhim/core';
import type { CiMetadata } from '../cli/ci-env.js';
import { DozhimError, ExitCode, InfrastructureError } from '../cli/exit-codes.js';
import type { AttemptMeta, LocalState, StoredAttempt } from './local-state.js';
import {
  type ReporterClient,
  ReporterHttpError,
  ReporterInconsistentError,
  ReporterUnavailableError,
} from './reporter-client.js';

/**
 * The reporter answered "no" (4xx: bad id, auth, conflict, validation): retrying or going on locally
 * would hide it, so the command fails with exit 2 and the reporter's own message.
 */
export class ReporterRejectedError extends DozhimError {
  constructor(message: string) {
    super(message, ExitCode.Usage);
  }
}

/**
 * Where a run's attempts live: always on local disk, and in the reporter when one is configured
 * and answering.
 *
 * - An outage (network error, 5xx, past the retry budget) of a command that runs tests switches the
 *   rest of the command to local mode with a loud warning (`fallback`); the reason is kept so the
 *   summary can say it again. A query (`failed`, `decide`, `report`) has nothing to fall back to: it
 *   fails with exit 7, so `$(dozhim failed)` is never an empty "nothing failed" by accident.
 * - A definite "no" (4xx) always fails the command with exit 2 (ReporterRejectedError).
 */
export class RunStore {
  private downReason: string | undefined;
  /** The run's try in the reporter, once known: every write names it, so a superseded writer is refused. */
  private tryNumber: number | undefined;

  constructor(
    readonly local: LocalState,
    readonly reporter: ReporterClient | undefined,
    private readonly warn: (message: string) => void,
    private readonly fallback = true,
  ) {}

  /** Why the reporter is not used although one was configured (undefined: fine, or none configured). */
  get localModeReason(): string | undefined {
    return this.downReason;
  }

  get usingReporter(): boolean {
    return this.reporter !== undefined && this.downReason === undefined;
  }

  runUrl(runId: string): string | undefined {
    return this.usingReporter ? this.reporter?.runUrl(runId) : undefined;
  }

  private async remote<T>(what: string, call: (r: ReporterClient) => Promise<T>): Promise<T | undefined> {
    if (!this.reporter || this.downReason !== undefined) return undefined;
    try {
      return await call(this.reporter);
    } catch (e) {
      if (e instanceof ReporterHttpError) {
        throw new ReporterRejectedError(
          `the reporter refused to ${what} (${e.code}): ${e.message}. ` +
            `Nothing was retried; what this command produced is kept in ${this.local.stateDir}`,
        );
      }
      if (!(e instanceof ReporterUnavailableError)) throw e;
      if (!this.fallback) throw new InfrastructureError(`cannot ${what}: ${e.message}`);
      this.downReason = `reporter failed while trying to ${what}: ${e.message}`;
      this.warn(
        [
          '',
          '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
          `!!! dozhim WARNING: ${this.downReason}`,
          `!!! Continuing in LOCAL MODE: results are kept only in ${this.local.stateDir}`,
          '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
          '',
        ].join('\n'),
      );
      return undefined;
    }
  }

  async startRun(runId: string, meta: CiMetadata): Promise<void> {
    const t = await this.remote('create the run', (r) => r.putRun(runId, meta));
    if (t !== undefined) this.tryNumber = t;
  }

  /**
   * `dozhim run` of a run id that already has attempts (a retried CI job keeps its pipeline id):
   * a new try supersedes them. Locally the old attempts move to `<run dir>#try-<time>`; in the
   * reporter to its history. Returns how many attempts were superseded there (0: none, or local).
   */
  async startNewTry(runId: string, now: number): Promise<number> {
    const dir = this.local.runDir(runId);
    try {
      await rename(dir, `${dir}#try-${now}`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const t = await this.remote('start a new try of the run', (r) => r.newTry(runId));
    if (t === undefined) return 0;
    this.tryNumber = t.try;
    return t.superseded;
  }

  async saveResults(
    runId: string,
    attempt: number,
    shard: string,
    results: readonly TestResult[],
  ): Promise<void> {
    await this.local.saveResults(runId, attempt, shard, results);
    await this.remote(`upload attempt ${attempt}`, (r) =>
      r.uploadResults(runId, attempt, shard, results, this.tryNumber),
    );
  }

  async patchAttempt(runId: string, attempt: number, meta: AttemptMeta): Promise<void> {
    await this.local.patchAttempt(runId, attempt, meta);
    const { selected: _ids, ...patch } = meta;
    await this.remote(`record attempt ${attempt}`, (r) =>
      r.patchAttempt(runId, attempt, patch, this.tryNumber),
    );
  }

  /**
   * Every attempt of the run: from the reporter when it knows the run (it may hold other jobs'
   * shards and attempts), else from local state. `undefined` from a query store means the reporter
   * does not know the run.
   */
  async loadAttempts(runId: string): Promise<StoredAttempt[]> {
    const remote = await this.remote('load the run', (r) => readRun(r, runId));
    if (remote === undefined && this.usingReporter && !this.fallback) return [];
    if (remote?.try !== undefined) this.tryNumber = remote.try;
    return remote?.attempts ?? (await this.local.loadAttempts(runId));
  }

  async remoteReport(runId: string): Promise<string | undefined> {
    return this.remote('fetch the merged report', (r) => r.reportXml(runId));
  }
}

/**
 * How often the run is read when its pages do not fit the run detail: another job's upload or a new
 * try between the reads explains a misfit, and reading again sees the run as it is now; a misfit
 * that stays is the reporter's fault (an outage to the caller).
 */
const CONSISTENT_READS = 3;

type RemoteRun = { try: number | undefined; attempts: StoredAttempt[] };

/** The run from the reporter (undefined: it does not know it), as one consistent read. */
async function readRun(r: ReporterClient, runId: string): Promise<RemoteRun | undefined> {
  for (let read = 1; ; read++) {
    try {
      return await readRunOnce(r, runId);
    } catch (e) {
      if (!(e instanceof ReporterInconsistentError) || read === CONSISTENT_READS) throw e;
    }
  }
}

async function readRunOnce(r: ReporterClient, runId: string): Promise<RemoteRun | undefined> {
  const run = await r.getRun(runId);
  if (!run) return undefined;
  const attempts: StoredAttempt[] = [];
  for (const a of [...run.attempts].sort((x, y) => x.attempt - y.attempt)) {
    // Checked against the run detail's count: pages of a run that changed since are an error, not data.
    const results = await r.attemptTests(runId, a.attempt, a.counts.total);
    const shards = (a.shards ?? []).map((s) => s.name);
    // An attempt with no uploaded shard never reported (crashed, interrupted, or still running).
    if (!attemptReported({ shards: shards.length, results: results.length })) continue;
    const meta: AttemptMeta = {
      ...(a.threads !== null ? { threads: a.threads } : {}),
      ...(a.selectedCount !== null ? { selectedCount: a.selectedCount } : {}),
      ...(a.startedAt ? { startedAt: a.startedAt } : {}),
      ...(a.finishedAt ? { finishedAt: a.finishedAt } : {}),
      ...(a.exitCode !== null ? { exitCode: a.exitCode } : {}),
      ...(a.shardTotal ? { shardTotal: a.shardTotal } : {}),
    };
    attempts.push({
      number: a.attempt,
      ...(a.threads !== null ? { threads: a.threads } : {}),
      results,
      shards,
      meta,
    });
  }
  return { try: run.run.try, attempts };
}
