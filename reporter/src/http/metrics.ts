import type { RequestHandler } from 'express';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  duration: Histogram<'method' | 'route'>;
  uploads: Counter<'kind'>;
  results: Counter<'kind'>;
}

/** A registry per app (not the global one), so several apps in one process never clash. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({
      name: 'dozhim_http_requests_total',
      help: 'HTTP requests by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'dozhim_http_request_duration_seconds',
      help: 'HTTP request duration by method and route pattern',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    uploads: new Counter({
      name: 'dozhim_uploads_total',
      help: 'Stored uploads by kind (junit, json)',
      labelNames: ['kind'],
      registers: [registry],
    }),
    results: new Counter({
      name: 'dozhim_results_stored_total',
      help: 'Test results written by uploads, by kind',
      labelNames: ['kind'],
      registers: [registry],
    }),
  };
}

/** Counts and times every request by its route PATTERN (run ids never become label values). */
export function measure(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      metrics.requests.inc({ method: req.method, route, status: String(res.statusCode) });
      metrics.duration.observe({ method: req.method, route }, seconds);
    });
    next();
  };
}
