import type { StatusCounts } from '@dozhim/core';
import type Database from 'better-sqlite3';
import { StorageHealth, type StorageStatus } from '../db/health.js';
import { openDatabase } from '../db/open.js';
import type { ReadAnswers } from '../db/read-ops.js';
import { ReadWorker } from '../db/read-worker.js';
import type { AttemptPatch, RunMeta } from '../db/records.js';
import { Repository } from '../db/repository.js';
import { deleteRun, expireRuns } from '../db/retention.js';
import { storageError } from '../http/errors.js';
import { ingestJUnit, inThreadParser, type JUnitParser } from '../parse/junit-parser.js';
import type { GrowingRead, ResultsWrite, RunsPageQuery, Storage } from './storage.js';

/**
 * The SQLite backend: a thin adapter over today's Repository (synchronous better-sqlite3
 * transactions), the parse worker (parse + insert on its own connection), the read worker and
 * the file checks of db/health.ts. No SQLite behaviour changes here; the async signatures cost
 * one resolved promise per call.
 */
export class SqliteStorage implements Storage {
  readonly kind = 'sqlite';
  private readonly reads: ReadWorker;

  constructor(
    readonly repo: Repository,
    private readonly parser: JUnitParser = inThreadParser,
    /** File and last-write checks (main.ts passes one; without it only SQLite's own answer counts). */
    private readonly fileHealth?: StorageHealth,
    /** Closed by close() when this storage opened it. */
    private readonly db?: Database.Database,
  ) {
    this.reads = new ReadWorker(repo);
  }

  /** Opens (creating and migrating) the file, with the file checks /healthz and every write use. */
  static open(path: string, parser: JUnitParser): SqliteStorage {
    const db = openDatabase(path);
    return new SqliteStorage(new Repository(db), parser, new StorageHealth(db, path), db);
  }

  /**
   * Every write: refused when the file is not the one we opened, its outcome recorded for /healthz,
   * and not acknowledged when the file vanished during it (it would be gone at the next start).
   */
  private async stored<T>(write: () => T | Promise<T>): Promise<T> {
    const h = this.fileHealth;
    const before = h?.fileStatus();
    if (before && !before.ok) throw storageError(before.problem!, before.message);
    let out: T;
    try {
      out = await write();
    } catch (e) {
      const problem = h?.recordWrite(e);
      throw problem ? storageError(problem) : e;
    }
    h?.recordWrite();
    const after = h?.fileStatus();
    if (after && !after.ok) throw storageError(after.problem!, after.message);
    return out;
  }

  upsertRun(runId: string, meta: RunMeta, now: string) {
    return this.stored(() => this.repo.upsertRun(runId, meta, now));
  }

  newTry(runId: string, now: string) {
    return this.stored(() => this.repo.newTry(runId, now));
  }

  patchAttempt(runId: string, attempt: number, patch: AttemptPatch, now: string, expectedTry?: number) {
    return this.stored(() => this.repo.patchAttempt(runId, attempt, patch, now, expectedTry));
  }

  writeResults(w: ResultsWrite): Promise<StatusCounts> {
    const { results, replace, ...target } = w;
    return this.stored(() => this.repo.writeShard(target, results, replace ? 'replace' : 'merge'));
  }

  ingestJUnit(...[upload, target]: Parameters<Storage['ingestJUnit']>): Promise<StatusCounts> {
    return this.stored(() => ingestJUnit(this.parser, this.repo, upload, target));
  }

  async runKey(runId: string) {
    return this.repo.runKey(runId);
  }

  async listRuns(q: RunsPageQuery) {
    return this.repo.listRuns(q);
  }

  async writeVersion() {
    return this.repo.writeVersion();
  }

  async failingIds(runPk: number) {
    return this.repo.failingIds(runPk);
  }

  async attemptPage(q: Parameters<Repository['attemptPage']>[0]) {
    return this.repo.attemptPage(q);
  }

  read<K extends GrowingRead['op']>(req: Extract<GrowingRead, { op: K }>): Promise<ReadAnswers[K]> {
    return this.reads.read(req);
  }

  report(runPk: number, name: string) {
    return this.reads.report(runPk, name);
  }

  deleteRun(runId: string): Promise<boolean> {
    return this.stored(() => deleteRun(this.repo.db, runId));
  }

  expireRuns(cutoffIso: string, limit: number): Promise<number> {
    return this.stored(() => expireRuns(this.repo.db, cutoffIso, limit));
  }

  async health(): Promise<StorageStatus> {
    if (this.fileHealth) return this.fileHealth.status();
    try {
      this.repo.ping();
      return { ok: true };
    } catch {
      return { ok: false, problem: 'no_answer', message: 'the database does not answer' };
    }
  }

  async close(): Promise<void> {
    await this.reads.close();
    this.db?.close();
  }
}
