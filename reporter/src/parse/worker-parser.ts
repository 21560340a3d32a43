import { Worker } from 'node:worker_threads';
import type { TestResult } from '@dozhim/core';
import { errorFromData, type JUnitParser, type ParseErrorData, type ParseRequest } from './junit-parser.js';

type Reply = { id: number; results?: TestResult[]; parseError?: ParseErrorData; failure?: string };
type Pending = { resolve: (r: TestResult[]) => void; reject: (e: Error) => void };

/**
 * One worker thread that parses JUnit uploads (uploads are already serialized by the app, so one is
 * enough and keeps memory bounded). The HTTP thread only pays for receiving the parsed results.
 * If the worker dies (e.g. out of memory on a pathological file), pending parses fail with a 500
 * and the next upload starts a fresh worker.
 */
export class WorkerParser implements JUnitParser {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly script: URL = new URL('./worker-main.js', import.meta.url)) {}

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(this.script);
    w.on('message', (m: Reply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.results) p.resolve(m.results);
      else if (m.parseError) p.reject(errorFromData(m.parseError));
      else p.reject(new Error(`parse worker failed: ${m.failure}`));
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

  parse(req: ParseRequest): Promise<TestResult[]> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ensure().postMessage({ id, req });
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }
}
