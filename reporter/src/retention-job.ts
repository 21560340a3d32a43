import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The retention job: every `intervalMs`, removes the runs not written for `retentionDays` days, in
 * small batches (one short transaction each), yielding to the event loop between batches so no
 * request waits long. Backend-agnostic: it only calls `expireRuns(cutoffIso, limit)` (SQLite:
 * db/retention.ts; any storage with that method).
 */

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * How long one batch may hold the thread and the write lock. Each batch's size follows from the
 * last one's measured duration (nextBatchSize): deleting a run costs about 3 µs per result
 * (bench/retention.mjs: 16-25 ms for a 5 375-result run, 0.1 ms for a one-result run), so a fixed
 * number of runs would be either slow for small runs or a long pause for large ones.
 */
export const TARGET_BATCH_MS = 50;
export const MAX_BATCH_RUNS = 256;
/** A pass stops after this many batches (at most MAX_BATCH_RUNS × this runs); the next pass goes on. */
export const MAX_BATCHES_PER_PASS = 10_000;
/** The first pass runs this soon after start (or after one interval, when that is shorter). */
export const FIRST_PASS_DELAY_MS = 5_000;

/** Runs whose last write is before this instant are expired. */
export function cutoffIso(nowMs: number, retentionDays: number): string {
  return new Date(nowMs - retentionDays * DAY_MS).toISOString();
}

/**
 * The next batch size from the last one's: doubled while well under the target, halved when over
 * it, always within [1, MAX_BATCH_RUNS]. One run is the floor: a run is removed in one transaction.
 */
export function nextBatchSize(size: number, ms: number, targetMs = TARGET_BATCH_MS): number {
  if (ms > targetMs) return Math.max(1, Math.floor(size / 2));
  if (ms < targetMs / 2) return Math.min(MAX_BATCH_RUNS, size * 2);
  return size;
}

export interface RetentionMetrics {
  removed: Counter;
  batchSeconds: Histogram;
  passes: Counter<'outcome'>;
  lastPass: Gauge;
}

/** The job's series, on the app's registry (GET /metrics). */
export function retentionMetrics(registry: Registry): RetentionMetrics {
  return {
    removed: new Counter({
      name: 'dozhim_retention_runs_removed_total',
      help: 'Runs removed by the retention job (expired), with their history tries',
      registers: [registry],
    }),
    batchSeconds: new Histogram({
      name: 'dozhim_retention_batch_seconds',
      help: 'Duration of one retention batch (one transaction; the longest pause it causes)',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    passes: new Counter({
      name: 'dozhim_retention_passes_total',
      help: 'Retention passes by outcome (ok, error)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    lastPass: new Gauge({
      name: 'dozhim_retention_last_pass_timestamp_seconds',
      help: 'When the last retention pass ended (Unix time)',
      registers: [registry],
    }),
  };
}

export interface RetentionDeps {
  /** Deletes up to `limit` runs last written before `cutoffIso` (one transaction); returns how many. */
  expireRuns: (cutoffIso: string, limit: number) => number | Promise<number>;
  /**
   * Runs one batch. main.ts passes the upload queue: a batch then never waits for (or blocks the
   * thread on) the write lock held by an upload in the parse worker.
   */
  serialize?: <T>(task: () => T | Promise<T>) => Promise<T>;
  /** Milliseconds since the epoch (injectable for tests). */
  now?: () => number;
  logger: Logger;
  metrics?: RetentionMetrics | undefined;
}

export interface RetentionOptions {
  /** Keep runs this many days after their last write; 0 = forever (no job). */
  retentionDays: number;
  intervalMs: number;
}

export interface PassOutcome {
  removed: number;
  batches: number;
  longestBatchMs: number;
  cutoff: string;
}

/**
 * One pass: batches until a batch removes nothing, the job is stopped, or MAX_BATCHES_PER_PASS.
 * (Not until a batch comes back short: a store may stop a batch early to bound its duration, as
 * the SQLite one does at MAX_RESULTS_PER_BATCH results; the empty last batch costs ~1 ms.) Throws what expireRuns throws (the runs removed until then stay removed:
 * each batch is its own transaction).
 */
export async function retentionPass(
  deps: RetentionDeps,
  retentionDays: number,
  stopped: () => boolean = () => false,
): Promise<PassOutcome> {
  const now = deps.now ?? Date.now;
  const serialize = deps.serialize ?? (async <T>(task: () => T | Promise<T>) => task());
  // One cutoff for the whole pass: runs written while it runs are never expired by it.
  const cutoff = cutoffIso(now(), retentionDays);
  const out: PassOutcome = { removed: 0, batches: 0, longestBatchMs: 0, cutoff };
  let size = 1;
  while (!stopped() && out.batches < MAX_BATCHES_PER_PASS) {
    const limit = size;
    const { n, ms } = await serialize(async () => {
      const start = performance.now();
      const n = await deps.expireRuns(cutoff, limit);
      return { n, ms: performance.now() - start };
    });
    out.batches++;
    out.removed += n;
    out.longestBatchMs = Math.max(out.longestBatchMs, ms);
    deps.metrics?.removed.inc(n);
    deps.metrics?.batchSeconds.observe(ms / 1000);
    if (n === 0) break;
    size = nextBatchSize(size, ms);
    // Requests that arrived during the batch are served before the next one.
    await yieldToLoop();
  }
  return out;
}

/** Runs a pass shortly after start, then every intervalMs after the previous one ended. */
export class RetentionJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly deps: RetentionDeps,
    private readonly options: RetentionOptions,
  ) {}

  /** No-op when retentionDays is 0 (keep forever). */
  start(): void {
    const { retentionDays, intervalMs } = this.options;
    if (retentionDays <= 0) {
      this.deps.logger.info('retention: off (retention days 0), runs are kept forever');
      return;
    }
    this.deps.logger.info({ retentionDays, intervalMs }, 'retention: on');
    this.schedule(Math.min(FIRST_PASS_DELAY_MS, intervalMs));
  }

  /** Stops scheduling, lets a running pass end after its current batch, and waits for it. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.pass().finally(() => {
        this.running = undefined;
        this.schedule(this.options.intervalMs);
      });
    }, delayMs);
    // The job alone never keeps the process alive (main.ts stops it on SIGTERM anyway).
    this.timer.unref();
  }

  private async pass(): Promise<void> {
    const { logger, metrics } = this.deps;
    try {
      const out = await retentionPass(this.deps, this.options.retentionDays, () => this.stopped);
      metrics?.passes.inc({ outcome: 'ok' });
      const level = out.removed > 0 ? 'info' : 'debug';
      logger[level](
        { ...out, longestBatchMs: Math.round(out.longestBatchMs * 10) / 10 },
        `retention: removed ${out.removed} run(s) last written before ${out.cutoff}`,
      );
    } catch (e) {
      metrics?.passes.inc({ outcome: 'error' });
      logger.error({ err: e }, 'retention: pass failed; retrying at the next interval');
    } finally {
      metrics?.lastPass.set(Date.now() / 1000);
    }
  }
}
