import type { TestResult } from '@dozhim/core';
import type { CiMetadata } from './ci-env.js';
import type { AttemptMeta, LocalState, StoredAttempt } from './local-state.js';
import {
  type RemoteTest,
  type ReporterClient,
  ReporterHttpError,
  ReporterUnavailableError,
} from './reporter-client.js';

/**
 * Where a run's attempts live: always on local disk, and in the reporter when one is configured
 * and answering. The first reporter failure switches the rest of the command to local mode with a
 * loud warning; the reason is kept so the summary can say it again.
 */
export class RunStore {
  private downReason: string | undefined;

  constructor(
    readonly local: LocalState,
    readonly reporter: ReporterClient | undefined,
    private readonly warn: (message: string) => void,
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
      if (!(e instanceof ReporterUnavailableError || e instanceof ReporterHttpError)) throw e;
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
    await this.remote('create the run', (r) => r.putRun(runId, meta));
  }

  /** Attempt numbers the reporter already holds for the run (empty in local mode). */
  async remoteAttempts(runId: string): Promise<number[]> {
    const run = await this.remote('load the run', (r) => r.getRun(runId));
    return run ? run.attempts.map((a) => a.attempt) : [];
  }

  async saveResults(
    runId: string,
    attempt: number,
    shard: string,
    results: readonly TestResult[],
  ): Promise<void> {
    await this.local.saveResults(runId, attempt, shard, results);
    await this.remote(`upload attempt ${attempt}`, (r) => r.uploadResults(runId, attempt, shard, results));
  }

  async patchAttempt(runId: string, attempt: number, meta: AttemptMeta): Promise<void> {
    await this.local.patchAttempt(runId, attempt, meta);
    const { selected: _ids, ...patch } = meta;
    await this.remote(`record attempt ${attempt}`, (r) => r.patchAttempt(runId, attempt, patch));
  }

  /**
   * Every attempt of the run: from the reporter when it knows the run (it may hold other jobs'
   * shards and attempts), else from local state.
   */
  async loadAttempts(runId: string): Promise<StoredAttempt[]> {
    const remote = await this.remote('load the run', async (r) => {
      const run = await r.getRun(runId);
      if (!run) return undefined;
      const attempts: StoredAttempt[] = [];
      for (const a of [...run.attempts].sort((x, y) => x.attempt - y.attempt)) {
        const results = (await r.attemptTests(runId, a.attempt)).map(toResult);
        if (results.length === 0) continue;
        const meta: AttemptMeta = {
          ...(a.threads !== null ? { threads: a.threads } : {}),
          ...(a.selectedCount !== null ? { selectedCount: a.selectedCount } : {}),
          ...(a.startedAt ? { startedAt: a.startedAt } : {}),
          ...(a.finishedAt ? { finishedAt: a.finishedAt } : {}),
          ...(a.exitCode !== null ? { exitCode: a.exitCode } : {}),
        };
        attempts.push({
          number: a.attempt,
          ...(a.threads !== null ? { threads: a.threads } : {}),
          results,
          meta,
        });
      }
      return attempts;
    });
    return remote ?? (await this.local.loadAttempts(runId));
  }

  async remoteReport(runId: string): Promise<string | undefined> {
    return this.remote('fetch the merged report', (r) => r.reportXml(runId));
  }
}

function toResult(t: RemoteTest): TestResult {
  return {
    id: t.id,
    suite: t.suite ?? '',
    classname: t.classname ?? '',
    name: t.name,
    ...(t.file ? { file: t.file } : {}),
    status: t.status,
    durationMs: t.durationMs ?? 0,
    ...(t.message ? { message: t.message } : {}),
    ...(t.type ? { type: t.type } : {}),
    properties: {},
    retries: [],
  };
}
