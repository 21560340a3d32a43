// Entry of the parse worker thread: parses uploads so a big XML file never blocks the HTTP thread,
// and (parseAndStore) inserts them here too, on this thread's own connection, in one transaction:
// the parsed results never cross back to the HTTP thread.

import { parentPort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { Repository } from '../db/repository.js';
import {
  type ParseRequest,
  parseUpload,
  type StoreTarget,
  storeErrorToData,
  storeParsed,
} from './junit-parser.js';

/** One connection per database file, opened on first use (the main thread already migrated it). */
const repos = new Map<string, Repository>();
function repoFor(file: string): Repository {
  let repo = repos.get(file);
  if (!repo) {
    const db = new Database(file, { fileMustExist: true });
    // Per-connection settings, the same as db/open.ts gives the main connection.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    repo = new Repository(db);
    repos.set(file, repo);
  }
  return repo;
}

type Message = { id: number; req: ParseRequest; store?: { file: string; target: StoreTarget } };

parentPort!.on('message', (msg: Message) => {
  try {
    const results = parseUpload(msg.req);
    if (!msg.store) {
      parentPort!.postMessage({ id: msg.id, results });
      return;
    }
    const counts = storeParsed(repoFor(msg.store.file), results, msg.store.target);
    parentPort!.postMessage({ id: msg.id, counts });
  } catch (e) {
    const error = storeErrorToData(e);
    if (error) parentPort!.postMessage({ id: msg.id, error });
    else parentPort!.postMessage({ id: msg.id, failure: (e as Error)?.stack ?? String(e) });
  }
});
