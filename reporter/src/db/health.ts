import { accessSync, constants, statfsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';

/**
 * Why the database cannot be trusted with a write right now. `removed`/`replaced`: the file at the
 * configured path is not the one this process has open (SQLite would keep writing into an unlinked
 * inode, acknowledged and gone at the next start). `readonly`/`full`: the last write failed so.
 * `no_answer`: SQLite itself fails.
 */
export type StorageProblem = 'removed' | 'replaced' | 'readonly' | 'full' | 'no_answer';

export interface StorageStatus {
  ok: boolean;
  problem?: StorageProblem;
  message?: string;
}

/** SQLite's result code families that say the storage (not the request) is at fault. */
export function storageProblemOf(err: unknown): 'readonly' | 'full' | 'io' | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') return 'full';
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS') return 'readonly';
  if (code.startsWith('SQLITE_IOERR') || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_CORRUPT') return 'io';
  return undefined;
}

const MESSAGES: Record<StorageProblem, (path: string) => string> = {
  removed: (p) => `the database file ${p} was removed while the reporter runs; restart it`,
  replaced: (p) => `the database file ${p} was replaced by another file while the reporter runs; restart it`,
  readonly: (p) => `the database file ${p} is read-only`,
  full: (p) => `the disk holding ${p} is full (the last write failed)`,
  no_answer: () => 'the database does not answer',
};

/**
 * What /healthz and every write ask before trusting the database: is the file still the one we
 * opened (device + inode), and did the last write fail for lack of space or permission? A failed
 * write is sticky until a write succeeds again (an upload, or the probe write /healthz makes while
 * the state is bad), so the answer recovers by itself once space is freed.
 */
export class StorageHealth {
  private readonly identity: { dev: number; ino: number } | undefined;
  private lastWrite: 'ok' | 'readonly' | 'full' = 'ok';

  constructor(
    private readonly db: Database.Database,
    private readonly path: string,
  ) {
    this.identity = path === ':memory:' || path === '' ? undefined : fileIdentity(path);
  }

  /** The file checks only (cheap: one stat); used before and after every write. */
  fileStatus(): StorageStatus {
    if (!this.identity) return { ok: true };
    const now = fileIdentity(this.path);
    if (!now) return this.bad('removed');
    if (now.dev !== this.identity.dev || now.ino !== this.identity.ino) return this.bad('replaced');
    return { ok: true };
  }

  /** Everything /healthz reports: the file, the last write, and that SQLite answers. */
  status(): StorageStatus {
    const file = this.fileStatus();
    if (!file.ok) return file;
    if (this.identity && !writable(this.path)) return this.bad('readonly');
    if (this.lastWrite !== 'ok') this.probeWrite();
    if (this.lastWrite !== 'ok') return this.bad(this.lastWrite);
    try {
      this.db.prepare('SELECT 1').get();
    } catch {
      return this.bad('no_answer');
    }
    return { ok: true };
  }

  /**
   * Called with the outcome of every write transaction; returns what a failed one says about the
   * storage (an I/O error on a read-only mount or a full disk is classified as such).
   */
  recordWrite(err?: unknown): 'full' | 'readonly' | 'io' | undefined {
    if (err === undefined) {
      this.lastWrite = 'ok';
      return undefined;
    }
    let p = storageProblemOf(err);
    if (p === 'io' && this.identity) {
      if (!writable(this.path)) p = 'readonly';
      else if (freeBytes(this.path) < MIN_FREE_BYTES) p = 'full';
    }
    if (p === 'full' || p === 'readonly') this.lastWrite = p;
    return p;
  }

  /**
   * A real, tiny write (the schema version rewritten with its own value) so that a freed disk or a
   * remount read-write shows as healthy without waiting for a client's upload.
   */
  private probeWrite(): void {
    // After a failed write the WAL file may still hold allocated space, so a one-page probe can
    // succeed on a disk that is still full: ask for some free space too.
    if (this.lastWrite === 'full' && this.identity && freeBytes(this.path) < MIN_FREE_BYTES) return;
    try {
      probeWrite(this.db);
      this.lastWrite = 'ok';
    } catch (e) {
      this.recordWrite(e);
    }
  }

  private bad(problem: StorageProblem): StorageStatus {
    return { ok: false, problem, message: MESSAGES[problem](this.path) };
  }
}

/** Rewrites user_version with its own value in a write transaction: fails on a full or read-only disk. */
export function probeWrite(db: Database.Database): void {
  const version = Number(db.pragma('user_version', { simple: true }));
  db.transaction(() => db.pragma(`user_version = ${version}`)).immediate();
}

/** Free space below which a disk that failed a write counts as still full (1 MiB). */
const MIN_FREE_BYTES = 1024 * 1024;

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch (e) {
    // Only a read-only file system or permission says "read-only"; a vanished file is fileStatus's.
    const code = (e as NodeJS.ErrnoException).code;
    return !(code === 'EROFS' || code === 'EACCES' || code === 'EPERM');
  }
}

function freeBytes(path: string): number {
  try {
    const s = statfsSync(dirname(path));
    return s.bavail * s.bsize;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

function fileIdentity(path: string): { dev: number; ino: number } | undefined {
  try {
    const s = statSync(path);
    return { dev: s.dev, ino: s.ino };
  } catch {
    return undefined;
  }
}
