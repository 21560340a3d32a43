import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Repository } from '../db/repository.js';
import type { JUnitParser } from '../parse/junit-parser.js';
import type { SerialQueue } from '../serial.js';
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
  /** Auth middlewares. */
  read: RequestHandler;
  write: RequestHandler;
  now: () => string;
  version: string;
}
