import { Worker } from 'node:worker_threads';
import { type ReadAnswers, type ReadRequest, runRead } from './read-ops.js';
import type { Repository } from './repository.js';

/** A read's answer; `report` comes as chunks the caller pulls (see ReportStream). */
export interface ReportStream {
  /** The next chunk of UTF-8 XML, or undefined after the last one. */
  next(): Promise<Uint8Array | undefined>;
  /** Stops early (the client went away): the worker drops the rest. */
  cancel(): void;
}

type Reply = { id: number; value?: unknown; chunk?: Uint8Array; done?: boolean; failure?: string };
type Pending = { resolve: (m: Reply) => void; reject: (e: Error) => void };

/** A terminated worker's memory goes back to the OS: one big report does not keep RSS up. */
const IDLE_MS = 5_000;

/**
 * Runs the reads that grow with a run (read-ops.ts) in one worker thread with its own read-only
 * connection to the database file (WAL: it reads while the HTTP thread writes), so /healthz and the
 * legacy /failedTests stay answered while a 200,000-result summary or report is computed. The worker
 * starts on first use and stops after IDLE_MS without reads. An in-memory database (tests) has no
 * file to share: its reads run on the calling thread.
 */
export class ReadWorker {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private idle: NodeJS.Timeout | undefined;
  /** Reports not yet pulled to the end: the worker holds their bytes, so it must not stop. */
  private openReports = 0;

  constructor(
    private readonly repo: Repository,
    private readonly script: URL = new URL('./read-worker-main.js', import.meta.url),
  ) {}

  async read<K extends Exclude<ReadRequest['op'], 'report'>>(
    req: Extract<ReadRequest, { op: K }>,
  ): Promise<ReadAnswers[K]> {
    if (!this.repo.file) return runRead(this.repo, req) as ReadAnswers[K];
    const id = this.nextId++;
    const reply = await this.send(id, { id, req });
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
    const id = this.nextId++;
    this.openReports++;
    let open = true;
    const finish = () => {
      if (!open) return;
      open = false;
      this.openReports--;
      if (this.worker && this.pending.size === 0) this.stopWhenIdle(this.worker);
    };
    let reply: Reply | undefined;
    try {
      reply = await this.send(id, { id, req });
    } catch (e) {
      finish();
      throw e;
    }
    if (reply.done) finish();
    return {
      next: async () => {
        if (!reply) return undefined;
        const { chunk, done } = reply;
        try {
          reply = done ? undefined : await this.send(id, { id, next: true });
        } catch (e) {
          finish();
          throw e;
        }
        if (!reply || reply.done) finish();
        return chunk;
      },
      cancel: () => {
        if (open) this.worker?.postMessage({ id, cancel: true });
        reply = undefined;
        finish();
      },
    };
  }

  async close(): Promise<void> {
    clearTimeout(this.idle);
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }

  private send(id: number, msg: object): Promise<Reply> {
    clearTimeout(this.idle);
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ensure().postMessage(msg);
    });
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(this.script, { workerData: { file: this.repo.file } });
    w.on('message', (m: Reply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.failure !== undefined) p.reject(new Error(`read worker failed: ${m.failure}`));
      else p.resolve(m);
      if (this.pending.size === 0) this.stopWhenIdle(w);
    });
    const fail = (e: Error) => {
      if (this.worker === w) this.worker = undefined;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`read worker exited with code ${code}`)));
    w.unref();
    this.worker = w;
    return w;
  }

  private stopWhenIdle(w: Worker): void {
    clearTimeout(this.idle);
    this.idle = setTimeout(() => {
      if (this.worker !== w || this.pending.size > 0 || this.openReports > 0) return;
      this.worker = undefined;
      void w.terminate();
    }, IDLE_MS);
    this.idle.unref();
  }
}
