import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { ApiError } from './errors.js';

export interface Tokens {
  /** DOZHIM_TOKEN: required for writes when set (and accepted for reads). */
  write?: string | undefined;
  /** DOZHIM_READ_TOKEN: when set, reads need it or the write token. */
  read?: string | undefined;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time comparison: hashing first gives equal-length inputs, so length leaks nothing either. */
export function tokenMatches(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  return m?.[1];
}

/** 401 without credentials, 403 with wrong ones; open when no token is configured for this access. */
export function requireAccess(kind: 'read' | 'write', tokens: Tokens): RequestHandler {
  const accepted = (
    kind === 'write' ? [tokens.write] : tokens.read ? [tokens.read, tokens.write] : []
  ).filter((t): t is string => typeof t === 'string' && t.length > 0);
  return (req, res, next) => {
    if (accepted.length === 0) return next();
    const given = bearer(req.headers.authorization);
    if (given === undefined) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="dozhim"');
      return next(new ApiError(401, 'unauthorized', `${kind} access needs "Authorization: Bearer <token>"`));
    }
    // Check every token (no early exit) so timing does not tell which one was close.
    let ok = false;
    for (const t of accepted) ok = tokenMatches(given, t) || ok;
    return ok ? next() : next(new ApiError(403, 'forbidden', `the token does not grant ${kind} access`));
  };
}
