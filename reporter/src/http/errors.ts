import { JUnitParseError } from '@dozhim/core';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { ZodError } from 'zod';
import { storageProblemOf } from '../db/health.js';
import { AttemptGapError, RunGoneError, WriteConflictError } from '../db/repository.js';
import { ResultCapError, UploadCapError } from '../truncate.js';
import { redactUrl } from './security.js';

/** An error with its HTTP status and machine code; the one error middleware turns it into JSON. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** Seconds for a `Retry-After` header (503s the client should retry). */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

/** Seconds a client should wait after a storage fault before retrying (an operator has to act). */
export const STORAGE_RETRY_AFTER_S = 30;

/** Storage faults: 503 with their own code and Retry-After, never a generic 500. */
export function storageError(
  problem: 'full' | 'readonly' | 'io' | 'removed' | 'replaced' | 'no_answer',
  message?: string,
): ApiError {
  const code = {
    full: 'storage_full',
    readonly: 'storage_readonly',
    io: 'storage_unavailable',
    removed: 'storage_gone',
    replaced: 'storage_gone',
    no_answer: 'storage_unavailable',
  }[problem];
  const text =
    message ??
    {
      full: 'the disk holding the database is full; nothing was stored',
      readonly: 'the database is read-only; nothing was stored',
      io: 'the database failed to read or write; nothing was stored',
      removed: 'the database file was removed; nothing was stored',
      replaced: 'the database file was replaced; nothing was stored',
      no_answer: 'the database does not answer; nothing was stored',
    }[problem];
  return new ApiError(503, code, text, { problem }, STORAGE_RETRY_AFTER_S);
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export const errorBody = (code: string, message: string, details?: unknown): ErrorBody => ({
  error: { code, message, ...(details === undefined ? {} : { details }) },
});

/** Domain and library errors to API errors; anything unknown is a 500 (logged, message not leaked). */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof ZodError) {
    const first = err.issues[0];
    const where = first && first.path.length > 0 ? `${first.path.join('.')}: ` : '';
    return new ApiError(
      400,
      'validation_failed',
      `invalid request: ${where}${first?.message ?? 'invalid'}`,
      err.issues,
    );
  }
  if (err instanceof JUnitParseError) {
    const at =
      err.line === undefined
        ? ''
        : ` at line ${err.line}${err.column === undefined ? '' : `, column ${err.column}`}`;
    return new ApiError(400, 'invalid_junit', `${err.message}${at}`, {
      code: err.code,
      ...(err.line === undefined ? {} : { line: err.line }),
      ...(err.column === undefined ? {} : { column: err.column }),
    });
  }
  if (err instanceof RunGoneError) return new ApiError(404, 'run_not_found', err.message);
  if (err instanceof AttemptGapError) {
    return new ApiError(409, 'attempt_gap', err.message, { runId: err.runId, attempt: err.attempt });
  }
  if (err instanceof WriteConflictError) return new ApiError(409, err.code, err.message, err.details);
  // A name, id or result count over the storage caps: the request is too large, nothing was stored.
  if (err instanceof ResultCapError) return new ApiError(413, err.code, err.message, err.details);
  if (err instanceof UploadCapError) return new ApiError(err.status, err.code, err.message, err.details);
  const storage = storageProblemOf(err);
  if (storage) return storageError(storage);
  // Express and its body/URL helpers flag client mistakes (bad percent-encoding in a path) with a 4xx status.
  const status = (err as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new ApiError(status, 'bad_request', err instanceof Error ? err.message : 'bad request');
  }
  return new ApiError(500, 'internal', 'internal server error');
}

export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const api = toApiError(err);
    if (api.status >= 500)
      logger.error({ err, method: req.method, url: redactUrl(req.originalUrl) }, 'request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (api.retryAfter !== undefined) res.setHeader('Retry-After', String(api.retryAfter));
    res.status(api.status).json(errorBody(api.code, api.message, api.details));
  };
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new ApiError(404, 'not_found', `no route for ${req.method} ${req.path}`));
};
