import type { Worker } from 'node:worker_threads';

/** What a worker answers: the request's id, and `failure` (a stack) when it threw something unexpected. */
export interface WorkerReply {
  id: number;
  failure?: string;
}

/** `worker`: the thread the request went to (only its death fails the request). */
type Pending<R> = { resolve: (r: R) => void; reject: (e: Error) => void; worker: Worker };

/**
 * One worker thread, started on first use and terminated after `idleMs` without work, so the memory
 * of one large job goes back to the OS (RSS returns near idle). Requests are matched to replies by
 * id. If the worker dies (e.g. out of memory on a pathological input), every pending request fails
 * and the next one starts a fresh worker. The parse worker and the read worker both run on it.
 */
export class IdleWorker<R extends WorkerReply> {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending<R>>();
  private nextId = 1;
  private idle: NodeJS.Timeout | undefined;

  constructor(
    /** For error messages: "<name> failed: ...", "<name> exited with code 1". */
    private readonly name: string,
    private readonly start: () => Worker,
    private readonly options: {
      /** A reply that is an error of its own kind (e.g. a parse error as data), else undefined. */
      errorOf?: (reply: R) => Error | undefined;
      /** True while the worker holds state a caller still needs (it must not stop then). */
      busy?: () => boolean;
      /** How long it may idle before it stops, asked each time it goes idle (default 5 s). */
      idleMs?: () => number;
      /** How an idle worker is stopped (default terminate(); e.g. a message so it closes a pool first). */
      stop?: (w: Worker) => void;
    } = {},
  ) {}

  id(): number {
    return this.nextId++;
  }

  /** Posts `msg` (which carries `id`) and resolves with the worker's reply to that id. */
  request(id: number, msg: object, transfer: ArrayBuffer[] = []): Promise<R> {
    clearTimeout(this.idle);
    return new Promise<R>((resolve, reject) => {
      const worker = this.ensure();
      this.pending.set(id, { resolve, reject, worker });
      worker.postMessage(msg, transfer);
    });
  }

  /** Posts without waiting for a reply (e.g. a cancel); nothing when no worker runs. */
  tell(msg: object): void {
    this.worker?.postMessage(msg);
  }

  /** A caller stopped needing the worker's state: it may stop once idle. */
  release(): void {
    if (this.worker && this.pending.size === 0) this.stopWhenIdle(this.worker);
  }

  async close(): Promise<void> {
    clearTimeout(this.idle);
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const w = this.start();
    w.on('message', (m: R) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      const error = this.options.errorOf?.(m);
      if (error) p.reject(error);
      else if (m.failure !== undefined) p.reject(new Error(`${this.name} failed: ${m.failure}`));
      else p.resolve(m);
      if (this.pending.size === 0 && this.worker === w) this.stopWhenIdle(w);
    });
    // Only this thread's requests fail: a worker stopped for idleness exits (asynchronously) after
    // the next request may already have started a fresh one, whose requests must not fail with it.
    const fail = (e: Error) => {
      if (this.worker === w) this.worker = undefined;
      for (const [id, p] of this.pending) {
        if (p.worker !== w) continue;
        this.pending.delete(id);
        p.reject(e);
      }
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`${this.name} exited with code ${code}`)));
    w.unref();
    this.worker = w;
    return w;
  }

  private stopWhenIdle(w: Worker): void {
    clearTimeout(this.idle);
    this.idle = setTimeout(() => {
      if (this.worker !== w || this.pending.size > 0 || this.options.busy?.()) return;
      this.worker = undefined;
      if (this.options.stop) this.options.stop(w);
      else void w.terminate();
    }, this.options.idleMs?.() ?? 5_000);
    this.idle.unref();
  }
}
