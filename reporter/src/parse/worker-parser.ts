import { Worker } from 'node:worker_threads';
import type { StatusCounts, TestResult } from '@dozhim/core';
import {
  type JUnitParser,
  type ParseRequest,
  type StoreErrorData,
  type StoreTarget,
  storeErrorFromData,
} from './junit-parser.js';

type Reply = {
  id: number;
  results?: TestResult[];
  counts?: StatusCounts;
  error?: StoreErrorData;
  failure?: string;
};
type Pending = { resolve: (r: Reply) => void; reject: (e: Error) => void };

/** A terminated worker's heap goes back to the OS: after a 50 MB upload RSS returns near idle. */
const IDLE_MS = 5_000;

/**
 * One worker thread that parses JUnit uploads and, with parseAndStore, inserts them on its own
 * connection (uploads are already serialized by the app, so one is enough and keeps memory bounded).
 * If the worker dies (e.g. out of memory on a pathological file), pending parses fail with a 500
 * and the next upload starts a fresh worker. It stops after IDLE_MS without uploads.
 */
export class WorkerParser implements JUnitParser {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private idle: NodeJS.Timeout | undefined;

  constructor(private readonly script: URL = new URL('./worker-main.js', import.meta.url)) {}

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(this.script);
    w.on('message', (m: Reply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error) p.reject(storeErrorFromData(m.error));
      else if (m.failure !== undefined) p.reject(new Error(`parse worker failed: ${m.failure}`));
      else p.resolve(m);
      if (this.pending.size === 0) this.stopWhenIdle(w);
    });
    const fail = (e: Error) => {
      if (this.worker === w) this.worker = undefined;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`parse worker exited with code ${code}`)));
    w.unref();
    this.worker = w;
    return w;
  }

  private send(req: ParseRequest, store?: { file: string; target: StoreTarget }): Promise<Reply> {
    clearTimeout(this.idle);
    const id = this.nextId++;
    // The body moves to the worker without a copy when it owns its whole buffer (not a pool slice).
    const b = req.body;
    const movable =
      b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ensure().postMessage({ id, req, store }, movable ? [b.buffer as ArrayBuffer] : []);
    });
  }

  async parse(req: ParseRequest): Promise<TestResult[]> {
    return (await this.send(req)).results!;
  }

  async parseAndStore(req: ParseRequest, file: string, target: StoreTarget): Promise<StatusCounts> {
    return (await this.send(req, { file, target })).counts!;
  }

  private stopWhenIdle(w: Worker): void {
    clearTimeout(this.idle);
    this.idle = setTimeout(() => {
      if (this.worker !== w || this.pending.size > 0) return;
      this.worker = undefined;
      void w.terminate();
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
