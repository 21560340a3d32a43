import { Worker } from 'node:worker_threads';
import type { ReadAnswers } from '../db/read-ops.js';
import { ApiError } from '../http/errors.js';
import { IdleWorker, type WorkerReply } from '../idle-worker.js';
import type { GrowingRead } from './storage.js';

/** What the PostgreSQL read worker answers: the growing reads, and the merged report as XML text. */
export type PgReadRequest = GrowingRead | { op: 'report'; runPk: number; name: string };

type Reply = WorkerReply & {
  value?: unknown;
  error?: { status: number; code: string; message: string; details?: unknown; retryAfter?: number };
};

/**
 * The reads that grow with a run (current tests, decision, report: load the run's results and fold
 * them with core runState) on PostgreSQL, in a worker thread with its own small pool, so the HTTP
 * thread of the replica keeps answering /healthz, /failedTests and uploads meanwhile. Started on
 * first use, stopped after 5 s without reads (IdleWorker; asked to close its pool first). A storage
 * fault (503) crosses back as the same ApiError; anything else fails the read with a 500.
 */
export class PgReadWorker {
  private readonly worker: IdleWorker<Reply>;

  constructor(url: string, script: URL = new URL('./pg-read-worker-main.js', import.meta.url)) {
    this.worker = new IdleWorker<Reply>(
      'PostgreSQL read worker',
      () => new Worker(script, { workerData: { url } }),
      {
        errorOf: (m) =>
          m.error &&
          new ApiError(m.error.status, m.error.code, m.error.message, m.error.details, m.error.retryAfter),
        stop: (w) => w.postMessage({ close: true }),
      },
    );
  }

  async read<K extends PgReadRequest['op']>(req: Extract<PgReadRequest, { op: K }>): Promise<ReadAnswers[K]> {
    const id = this.worker.id();
    return (await this.worker.request(id, { id, req })).value as ReadAnswers[K];
  }

  close(): Promise<void> {
    return this.worker.close();
  }
}
