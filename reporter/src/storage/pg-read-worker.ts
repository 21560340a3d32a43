import { Worker } from 'node:worker_threads';
import type { ReadAnswers } from '../db/read-ops.js';
import { ApiError } from '../http/errors.js';
import type { GrowingRead } from './storage.js';

/** What the PostgreSQL read worker answers: the growing reads, and the merged report as XML text. */
export type PgReadRequest = GrowingRead | { op: 'report'; runPk: number; name: string };

type Reply = {
  id: number;
  value?: unknown;
  error?: { status: number; code: string; message: string; details?: unknown; retryAfter?: number };
  failure?: string;
};
type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

/** A stopped worker's heap goes back to the OS (as the SQLite read worker's). */
const IDLE_MS = 5_000;

/**
 * The reads that grow with a run (current tests, decision, report: load the run's results and fold
 * them with core runState) on PostgreSQL, in a worker thread with its own small pool, so the HTTP
 * thread of the replica keeps answering /healthz, /failedTests and uploads meanwhile. Started on
 * first use, stopped after IDLE_MS without reads. A storage fault (503) crosses back as the same
 * ApiError; anything else fails the read with a 500.
 */
export class PgReadWorker {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private idle: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly script: URL = new URL('./pg-read-worker-main.js', import.meta.url),
  ) {}

  read<K extends PgReadRequest['op']>(req: Extract<PgReadRequest, { op: K }>): Promise<ReadAnswers[K]> {
    clearTimeout(this.idle);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.ensure().postMessage({ id, req });
    });
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(this.script, { workerData: { url: this.url } });
    w.on('message', (m: Reply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error)
        p.reject(
          new ApiError(m.error.status, m.error.code, m.error.message, m.error.details, m.error.retryAfter),
        );
      else if (m.failure !== undefined) p.reject(new Error(`PostgreSQL read worker failed: ${m.failure}`));
      else p.resolve(m.value);
      if (this.pending.size === 0) this.stopWhenIdle(w);
    });
    const fail = (e: Error) => {
      if (this.worker === w) this.worker = undefined;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`PostgreSQL read worker exited with code ${code}`)));
    w.unref();
    this.worker = w;
    return w;
  }

  private stopWhenIdle(w: Worker): void {
    clearTimeout(this.idle);
    this.idle = setTimeout(() => {
      if (this.worker !== w || this.pending.size > 0) return;
      this.worker = undefined;
      w.postMessage({ close: true });
    }, IDLE_MS);
    this.idle.unref();
  }

  async close(): Promise<void> {
    clearTimeout(this.idle);
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }
}
