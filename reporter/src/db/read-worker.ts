import { Worker } from 'node:worker_threads';
import { IdleWorker, type WorkerReply } from '../idle-worker.js';
import { type ReadAnswers, type ReadRequest, runRead } from './read-ops.js';
import { RunGoneError } from './records.js';
import type { Repository } from './repository.js';

/** A read's answer; `report` comes as chunks the caller pulls (see ReportStream). */
export interface ReportStream {
  /** The next chunk of UTF-8 XML, or undefined after the last one. */
  next(): Promise<Uint8Array | undefined>;
  /** Stops early (the client went away): the worker drops the rest. */
  cancel(): void;
}

type Reply = WorkerReply & { value?: unknown; chunk?: Uint8Array; done?: boolean; gone?: true };

/**
 * Runs the reads that grow with a run (read-ops.ts) in one worker thread with its own read-only
 * connection to the database file (WAL: it reads while the HTTP thread writes), so /healthz and the
 * legacy /failedTests stay answered while a 200,000-result summary or report is computed. The worker
 * starts on first use and stops after 5 s without reads (IdleWorker: its memory goes back to the
 * OS, one big report does not keep RSS up). An in-memory database (tests) has no file to share: its
 * reads run on the calling thread.
 */
export class ReadWorker {
  private readonly worker: IdleWorker<Reply>;
  /** Reports not yet pulled to the end: the worker holds their bytes, so it must not stop. */
  private openReports = 0;

  constructor(
    private readonly repo: Repository,
    script: URL = new URL('./read-worker-main.js', import.meta.url),
  ) {
    this.worker = new IdleWorker<Reply>(
      'read worker',
      () => new Worker(script, { workerData: { file: repo.file } }),
      { busy: () => this.openReports > 0 },
    );
  }

  async read<K extends Exclude<ReadRequest['op'], 'report'>>(
    req: Extract<ReadRequest, { op: K }>,
  ): Promise<ReadAnswers[K]> {
    if (!this.repo.file) return runRead(this.repo, req) as ReadAnswers[K];
    const id = this.worker.id();
    const reply = await this.worker.request(id, { id, req });
    if (reply.gone) throw new RunGoneError();
    return reply.value as ReadAnswers[K];
  }

  async report(runPk: number, name: string): Promise<ReportStream> {
    const req: ReadRequest = { op: 'report', runPk, name };
    if (!this.repo.file) {
      let bytes: Uint8Array | undefined = Buffer.from(runRead(this.repo, req) as string, 'utf8');
      return {
        next: async () => {
          const b = bytes;
          bytes = undefined;
          return b;
        },
        cancel: () => {
          bytes = undefined;
        },
      };
    }
    const id = this.worker.id();
    this.openReports++;
    let open = true;
    const finish = () => {
      if (!open) return;
      open = false;
      this.openReports--;
      this.worker.release();
    };
    let reply: Reply | undefined;
    try {
      reply = await this.worker.request(id, { id, req });
    } catch (e) {
      finish();
      throw e;
    }
    if (reply.gone) {
      finish();
      throw new RunGoneError();
    }
    if (reply.done) finish();
    return {
      next: async () => {
        if (!reply) return undefined;
        const { chunk, done } = reply;
        try {
          reply = done ? undefined : await this.worker.request(id, { id, next: true });
        } catch (e) {
          finish();
          throw e;
        }
        if (!reply || reply.done) finish();
        return chunk;
      },
      cancel: () => {
        if (open) this.worker.tell({ id, cancel: true });
        reply = undefined;
        finish();
      },
    };
  }

  close(): Promise<void> {
    return this.worker.close();
  }
}
