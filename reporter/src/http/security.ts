import type { RequestHandler } from 'express';
import helmet from 'helmet';
import { ApiError } from './errors.js';

/**
 * Security headers for an API that serves JSON and XML, never pages: nothing may be framed,
 * sniffed or run as a script, and no answer (results can name internal hosts and secrets in
 * stack traces) is kept by a shared cache.
 */
export function securityHeaders(): RequestHandler[] {
  return [
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
      },
      // Cross-origin isolation headers only matter for documents; keep them off the API's way.
      crossOriginEmbedderPolicy: false,
      // An HTTP service on a CI network: HSTS belongs to the TLS proxy in front, if any.
      strictTransportSecurity: false,
    }),
    (_req, res, next) => {
      res.setHeader('Cache-Control', 'no-store');
      next();
    },
  ];
}

/** The name of a Host header without its port, lower-cased (`[::1]:8080` → `[::1]`). */
export function hostName(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end < 0 ? h : h.slice(0, end + 1);
  }
  const colon = h.indexOf(':');
  return colon < 0 ? h : h.slice(0, colon);
}

/**
 * DNS rebinding: a page on evil.example whose name then resolves to 127.0.0.1 can make the
 * browser send requests to a token-less reporter on loopback, but its Host header still says
 * evil.example. Undefined list = any host (bound to a public interface, behind a proxy).
 */
export function allowHosts(allowed: readonly string[] | undefined): RequestHandler {
  if (!allowed) return (_req, _res, next) => next();
  const set = new Set(allowed.map((h) => (h.includes(':') && !h.startsWith('[') ? `[${h}]` : h)));
  return (req, _res, next) => {
    const name = hostName(req.headers.host);
    if (name !== undefined && set.has(name)) return next();
    next(
      new ApiError(
        421,
        'host_not_allowed',
        `Host ${JSON.stringify(name ?? '')} is not one this reporter answers to; set DOZHIM_ALLOWED_HOSTS`,
      ),
    );
  };
}

/** The URL with every `token` query parameter's value replaced, for logs. */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:access_)?token=)[^&#]*/gi, '$1[redacted]');
}
