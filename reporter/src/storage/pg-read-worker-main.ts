// Entry of the PostgreSQL read worker thread: answers the reads that grow with a run on its own
// small pool (the main thread already migrated the schema), so the HTTP thread keeps answering.

import { parentPort, workerData } from 'node:worker_threads';
import { ApiError } from '../http/errors.js';
import type { PgReadRequest } from './pg-read-worker.js';
import { PgStorage } from './pg-storage.js';

const store = PgStorage.connect((workerData as { url: string }).url, { poolSize: 2 });

parentPort!.on('message', async (msg: { id: number; req?: PgReadRequest; close?: true }) => {
  if (msg.close) {
    await store.close().catch(() => undefined);
    process.exit(0);
  }
  try {
    const req = msg.req!;
    const value =
      req.op === 'report' ? await store.reportXml(req.runPk, req.name) : await store.readHere(req);
    parentPort!.postMessage({ id: msg.id, value });
  } catch (e) {
    if (e instanceof ApiError) {
      const { status, code, message, details, retryAfter } = e;
      parentPort!.postMessage({ id: msg.id, error: { status, code, message, details, retryAfter } });
    } else parentPort!.postMessage({ id: msg.id, failure: (e as Error)?.stack ?? String(e) });
  }
});
