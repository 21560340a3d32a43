// Entry of the read worker thread: answers the reads that grow with a run on its own read-only
// connection, so the HTTP thread keeps answering /healthz, /failedTests and uploads meanwhile.

import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { type ReadRequest, runRead } from './read-ops.js';
import { RunGoneError } from './records.js';
import { Repository } from './repository.js';

const CHUNK_BYTES = 1024 * 1024;

const db = new Database((workerData as { file: string }).file, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
const repo = new Repository(db);
/**
 * Answers since the last commit: `PRAGMA data_version` changes whenever another connection commits
 * (this one never writes), so an entry made under the current version is exactly what a new read
 * would compute. Three pollers of one large run then cost one computation, never a stale answer.
 */
const dataVersion = db.prepare('PRAGMA data_version').pluck();
const MAX_CACHED = 8;
let cacheVersion: unknown;
const cache = new Map<string, unknown>();

function answer(req: ReadRequest): unknown {
  return db.transaction(() => {
    const version = dataVersion.get();
    if (version !== cacheVersion) {
      cache.clear();
      cacheVersion = version;
    }
    const key = JSON.stringify(req);
    if (cache.has(key)) return cache.get(key);
    const raw = runRead(repo, req);
    const value = req.op === 'report' ? Buffer.from(raw as string, 'utf8') : raw;
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
    cache.set(key, value);
    return value;
  })();
}

/** Reports being pulled by the HTTP thread, chunk by chunk (it asks for the next after a drain). */
const reports = new Map<number, { bytes: Buffer; offset: number }>();

function nextChunk(id: number): void {
  const r = reports.get(id);
  if (!r) {
    parentPort!.postMessage({ id, failure: `report ${id} is no longer held by this worker` });
    return;
  }
  const end = Math.min(r.bytes.length, r.offset + CHUNK_BYTES);
  // A copy of one chunk into its own buffer, transferred (not cloned) to the HTTP thread.
  const chunk = new Uint8Array(r.bytes.subarray(r.offset, end));
  r.offset = end;
  const done = end >= r.bytes.length;
  if (done) reports.delete(id);
  parentPort!.postMessage({ id, chunk, done }, [chunk.buffer]);
}

parentPort!.on('message', (msg: { id: number; req?: ReadRequest; next?: true; cancel?: true }) => {
  if (msg.next) return nextChunk(msg.id);
  if (msg.cancel) {
    reports.delete(msg.id);
    return;
  }
  try {
    // Each read in one transaction: a consistent snapshot even while uploads commit.
    const value = answer(msg.req!);
    if (msg.req!.op === 'report') {
      reports.set(msg.id, { bytes: value as Buffer, offset: 0 });
      nextChunk(msg.id);
    } else parentPort!.postMessage({ id: msg.id, value });
  } catch (e) {
    // A run deleted since the route found it: an answer (404), not a worker failure.
    if (e instanceof RunGoneError) parentPort!.postMessage({ id: msg.id, gone: true });
    else parentPort!.postMessage({ id: msg.id, failure: (e as Error)?.stack ?? String(e) });
  }
});
