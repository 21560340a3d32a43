import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { probeWrite, storageProblemOf } from './health.js';
import { migrate } from './migrations.js';

export interface OpenOptions {
  /** How long a statement waits for another connection's lock before SQLITE_BUSY. */
  busyTimeoutMs?: number;
}

/** The database cannot be opened for writing: one line for the operator, no stack trace (bin.ts). */
export class StorageOpenError extends Error {
  override readonly name = 'StorageOpenError';
}

/**
 * Opens (creating folder and file when needed) and migrates the database, then proves it can be
 * written (a reporter that starts "healthy" on a read-only or full disk would answer every upload
 * with an error). WAL: readers never block the writer. synchronous=NORMAL is durable against
 * process crashes (a committed transaction is in the WAL file before COMMIT returns); only an OS
 * crash or power loss can drop the last transactions, which a CI result store can afford.
 */
export function openDatabase(path: string, options: OpenOptions = {}): Database.Database {
  let db: Database.Database | undefined;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    migrate(db);
    probeWrite(db);
    return db;
  } catch (e) {
    db?.close();
    throw openError(path, e);
  }
}

function openError(path: string, e: unknown): unknown {
  const problem = storageProblemOf(e);
  const code = (e as { code?: string }).code;
  const why = (e as Error).message;
  if (problem === 'full')
    return new StorageOpenError(`cannot use database ${path}: the disk is full (${why})`);
  if (problem === 'readonly')
    return new StorageOpenError(`cannot use database ${path}: it is read-only (${why})`);
  if (problem === 'io' || code === 'EACCES' || code === 'EPERM' || code === 'ENOTDIR')
    return new StorageOpenError(`cannot use database ${path}: ${why}`);
  return e;
}
