import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { StorageHealth } from '../db/health.js';
import type { Repository } from '../db/repository.js';
import type { JUnitParser } from '../parse/junit-parser.js';
import type { SerialQueue } from '../serial.js';
import type { UploadCaps } from '../truncate.js';
import type { Admission } from './admission.js';
import type { Metrics } from './metrics.js';

export interface AppLimits {
  /** Largest request body in bytes, on the wire and after gunzip. */
  maxBodyBytes: number;
  /** Most results in one JSON upload. */
  maxBatch: number;
  /**
   * Uploads being received or waiting for the upload queue at once. Each may hold a body of up to
   * maxBodyBytes in memory, so this bounds memory; more are answered 503 (clients retry).
   */
  maxQueuedUploads: number;
  /** Of those, the most one remote address may hold (default: all but an eighth, see admission.ts). */
  maxUploadsPerClient?: number;
  /** Most testcases in one upload (default 200 000). */
  maxTestcases?: number;
  /** Most UTF-8 bytes in an id, name, classname, suite, file or type (default 65 536, as the JSON schema). */
  maxFieldBytes?: number;
  /** Most properties on one result (default 1000). */
  maxProperties?: number;
  /** Most results one run may hold, all attempts (default 2 000 000). */
  maxRunResults?: number;
}

/** What every route module gets from createApp. */
export interface RouteContext {
  repo: Repository;
  logger: Logger;
  metrics: Metrics;
  limits: AppLimits;
  parser: JUnitParser;
  /** Uploads run one at a time through this queue (see serial.ts). */
  uploads: SerialQueue;
  /** Upload slots, per-client shares, cancellation and the drain (admission.ts). */
  admission: Admission;
  caps: UploadCaps;
  /** Whether the database file and the last writes can be trusted (undefined: only SQLite's answer). */
  storage: StorageHealth | undefined;
  /** Auth middlewares. */
  read: RequestHandler;
  write: RequestHandler;
  now: () => string;
  version: string;
}
