import { JUnitParseError } from '@dozhim/core';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { ZodError } from 'zod';
import { AttemptGapError, WriteConflictError } from '../db/repository.js';
import { ResultCapError } from '../truncate.js';

/** An error with its HTTP status and machine code; the one error middleware turns it into JSON. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
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
  if (err instanceof AttemptGapError) {
    return new ApiError(409, 'attempt_gap', err.message, { runId: err.runId, attempt: err.attempt });
  }
  if (err instanceof WriteConflictError) return new ApiError(409, err.code, err.message, err.details);
  // A name, id or result count over the storage caps: the request is too large, nothing was stored.
  if (err instanceof ResultCapError) return new ApiError(413, err.code, err.message, err.details);
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
    if (api.status >= 500) logger.error({ err, method: req.method, url: req.originalUrl }, 'request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(api.status).json(errorBody(api.code, api.message, api.details));
  };
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new ApiError(404, 'not_found', `no route for ${req.method} ${req.path}`));
};
