import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { ApiError } from './errors.js';

const gunzipAsync = promisify(gunzip);

/** The media type of a request without parameters, lower-cased (`text/xml; charset=utf-8` → `text/xml`). */
export function mediaType(req: IncomingMessage): string | undefined {
  const raw = req.headers['content-type'];
  return raw ? raw.split(';')[0]!.trim().toLowerCase() : undefined;
}

export function requireMediaType(req: IncomingMessage, accepted: readonly string[]): void {
  const type = mediaType(req);
  if (!type || !accepted.includes(type)) {
    throw new ApiError(
      415,
      'unsupported_media_type',
      `Content-Type must be ${accepted.join(' or ')}, got ${type ?? 'none'}`,
    );
  }
}

const tooLarge = (limit: number, what: string): ApiError =>
  new ApiError(413, 'body_too_large', `request body${what} is larger than the limit of ${limit} bytes`, {
    limit,
  });

/** How much past the limit is still read and dropped so that the client sees the 413 cleanly. */
const DRAIN_BYTES = 8 * 1024 * 1024;

/** Stops reading: the 413 goes out with `Connection: close` and the socket closes after it. */
function refuse(req: IncomingMessage, error: ApiError): never {
  (req as IncomingMessage & { res?: ServerResponse }).res?.setHeader('Connection', 'close');
  throw error;
}

/**
 * Reads the whole body, at most `maxBytes` on the wire AND after gunzip (a gzip bomb stops at the
 * limit, decompression runs on the libuv pool). Up to DRAIN_BYTES past the limit are read and
 * dropped, so ordinary clients get a clean 413 instead of a reset; beyond that (or when
 * Content-Length already says so) the connection is closed after the 413.
 */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  const gzipped = encoding === 'gzip' || encoding === 'x-gzip';
  if (!gzipped && encoding !== 'identity') {
    throw new ApiError(
      415,
      'unsupported_encoding',
      `Content-Encoding must be gzip or identity, got ${encoding}`,
    );
  }
  const what = gzipped ? ' (compressed)' : '';
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes + DRAIN_BYTES) refuse(req, tooLarge(maxBytes, what));
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= maxBytes) chunks.push(chunk as Buffer);
    else if (size > maxBytes + DRAIN_BYTES) refuse(req, tooLarge(maxBytes, what));
  }
  if (size > maxBytes) throw tooLarge(maxBytes, what);
  const raw = Buffer.concat(chunks, size);
  if (!gzipped) return raw;
  try {
    return await gunzipAsync(raw, { maxOutputLength: maxBytes });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw tooLarge(maxBytes, ' after gunzip');
    throw new ApiError(400, 'invalid_gzip', `the body is not valid gzip: ${(e as Error).message}`);
  }
}

/** JSON body (an empty body is `{}`, so optional-only bodies may be omitted). */
export async function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const hasBody =
    req.headers['content-length'] !== '0' &&
    (req.headers['content-length'] || req.headers['transfer-encoding']);
  if (hasBody) requireMediaType(req, ['application/json']);
  const body = await readBody(req, maxBytes);
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new ApiError(400, 'invalid_json', `the body is not valid JSON: ${(e as Error).message}`);
  }
}
