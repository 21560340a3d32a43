import { Worker } from 'node:worker_threads';
import type { StatusCounts, TestResult } from '@dozhim/core';
import { IdleWorker, type WorkerReply } from '../idle-worker.js';
import {
  type JUnitParser,
  type ParseRequest,
  type StoreErrorData,
  type StoreTarget,
  storeErrorFromData,
} from './junit-parser.js';

type Reply = WorkerReply & { results?: TestResult[]; counts?: StatusCounts; error?: StoreErrorData };

/** A body this large leaves a heap worth returning to the OS: the worker then stops IDLE_AFTER_BIG_MS after its last job. */
const BIG_BODY_BYTES = 8 * 1024 * 1024;
const IDLE_AFTER_BIG_MS = 5_000;
/**
 * After ordinary uploads the worker stays this long: a new one costs ~100-250 ms to start (module
 * graph, connection, statements) and its parser runs cold (JIT) for its first uploads, which CI jobs
 * minutes apart would pay every time.
 */
const IDLE_MS = 10 * 60_000;

/**
 * One worker thread that parses JUnit uploads and, with parseAndStore, inserts them on its own
 * connection (uploads are already serialized by the app, so one is enough and keeps memory bounded).
 * If the worker dies (e.g. out of memory on a pathological file), pending parses fail with a 500
 * and the next upload starts a fresh worker. It stops 5 s after a big upload (IdleWorker: after a
 * 50 MB upload RSS returns near idle), else after 10 minutes without uploads.
 */
export class WorkerParser implements JUnitParser {
  private readonly worker: IdleWorker<Reply>;
  /** A big body since the worker started: its heap is worth returning (stop soon when idle). */
  private sawBig = false;

  constructor(script: URL = new URL('./worker-main.js', import.meta.url)) {
    const start = () => {
      this.sawBig = false;
      return new Worker(script);
    };
    this.worker = new IdleWorker<Reply>('parse worker', start, {
      errorOf: (m) => (m.error ? storeErrorFromData(m.error) : undefined),
      idleMs: () => (this.sawBig ? IDLE_AFTER_BIG_MS : IDLE_MS),
    });
  }

  private send(req: ParseRequest, store?: { file: string; target: StoreTarget }): Promise<Reply> {
    const id = this.worker.id();
    // The body moves to the worker without a copy when it owns its whole buffer (not a pool slice).
    const b = req.body;
    if (b.byteLength >= BIG_BODY_BYTES) this.sawBig = true;
    const movable =
      b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer;
    return this.worker.request(id, { id, req, store }, movable ? [b.buffer as ArrayBuffer] : []);
  }

  async parse(req: ParseRequest): Promise<TestResult[]> {
    return (await this.send(req)).results!;
  }

  async parseAndStore(req: ParseRequest, file: string, target: StoreTarget): Promise<StatusCounts> {
    return (await this.send(req, { file, target })).counts!;
  }

  close(): Promise<void> {
    return this.worker.close();
  }
}
