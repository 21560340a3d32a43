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

/**
 * One worker thread that parses JUnit uploads and, with parseAndStore, inserts them on its own
 * connection (uploads are already serialized by the app, so one is enough and keeps memory bounded).
 * If the worker dies (e.g. out of memory on a pathological file), pending parses fail with a 500
 * and the next upload starts a fresh worker. It stops after 5 s without uploads (IdleWorker: after a
 * 50 MB upload RSS returns near idle).
 */
export class WorkerParser implements JUnitParser {
  private readonly worker: IdleWorker<Reply>;

  constructor(script: URL = new URL('./worker-main.js', import.meta.url)) {
    this.worker = new IdleWorker<Reply>('parse worker', () => new Worker(script), {
      errorOf: (m) => (m.error ? storeErrorFromData(m.error) : undefined),
    });
  }

  private send(req: ParseRequest, store?: { file: string; target: StoreTarget }): Promise<Reply> {
    const id = this.worker.id();
    // The body moves to the worker without a copy when it owns its whole buffer (not a pool slice).
    const b = req.body;
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
