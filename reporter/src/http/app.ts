import express from 'express';
import type { Logger } from 'pino';
import { CONFIG_DEFAULTS } from '../config.js';
import type { StorageHealth } from '../db/health.js';
import type { Repository } from '../db/repository.js';
import { inThreadParser, type JUnitParser } from '../parse/junit-parser.js';
import { SerialQueue } from '../serial.js';
import { Admission, defaultPerClient } from './admission.js';
import { requireAccess, type Tokens } from './auth.js';
import type { AppLimits, RouteContext } from './context.js';
import { errorMiddleware, notFound } from './errors.js';
import { type Metrics, measure } from './metrics.js';
import { opsRoutes } from './routes/ops.js';
import { readRoutes } from './routes/reads.js';
import { type DeleteRun, runsDeleteRoutes } from './routes/runs-delete.js';
import { writeRoutes } from './routes/writes.js';
import { allowHosts, redactUrl, securityHeaders } from './security.js';

export type { AppLimits } from './context.js';

export interface AppDeps {
  repo: Repository;
  logger: Logger;
  metrics: Metrics;
  tokens: Tokens;
  limits: AppLimits;
  version: string;
  /** JUnit parsing; main.ts passes a worker-thread parser, the default parses in this thread. */
  parser?: JUnitParser;
  /** File and last-write checks for /healthz and every write (main.ts passes one; see db/health.ts). */
  storage?: StorageHealth;
  /** The upload queue and its admission (main.ts passes them to drain them on SIGTERM). */
  uploads?: SerialQueue;
  admission?: Admission;
  /** Host header names accepted; undefined = any (see config.allowedHosts). */
  allowedHosts?: readonly string[] | undefined;
  /** Clock, ISO 8601 (injectable for tests). */
  now?: () => string;
  /** DELETE /api/v1/runs/:runId (routes/runs-delete.ts); without it the route is not mounted. */
  deleteRun?: DeleteRun;
}

/** The reporter's HTTP API, without listening (main.ts listens; tests may mount it anywhere). */
export function createApp(deps: AppDeps): express.Express {
  const uploads = deps.uploads ?? new SerialQueue();
  const l = deps.limits;
  const ctx: RouteContext = {
    repo: deps.repo,
    logger: deps.logger,
    metrics: deps.metrics,
    limits: deps.limits,
    parser: deps.parser ?? inThreadParser,
    uploads,
    admission:
      deps.admission ??
      new Admission(
        {
          maxQueuedUploads: l.maxQueuedUploads,
          maxUploadsPerClient: l.maxUploadsPerClient ?? defaultPerClient(l.maxQueuedUploads),
        },
        uploads,
      ),
    caps: {
      maxTestcases: l.maxTestcases ?? CONFIG_DEFAULTS.maxTestcases,
      maxFieldBytes: l.maxFieldBytes ?? CONFIG_DEFAULTS.maxFieldBytes,
      maxProperties: l.maxProperties ?? CONFIG_DEFAULTS.maxProperties,
      maxRunResults: l.maxRunResults ?? CONFIG_DEFAULTS.maxRunResults,
    },
    storage: deps.storage,
    read: requireAccess('read', deps.tokens),
    write: requireAccess('write', deps.tokens),
    now: deps.now ?? (() => new Date().toISOString()),
    version: deps.version,
  };

  const app = express();
  app.disable('x-powered-by');
  // Flat query strings only: `?a[b]=1` stays a string key, so schemas see what clients sent.
  app.set('query parser', 'simple');
  app.use(measure(deps.metrics));
  app.use(securityHeaders());
  app.use((req, res, next) => {
    const start = Date.now();
    res.on('finish', () => {
      deps.logger.debug(
        {
          method: req.method,
          url: redactUrl(req.originalUrl),
          status: res.statusCode,
          ms: Date.now() - start,
        },
        'request',
      );
    });
    next();
  });
  app.use(allowHosts(deps.allowedHosts));
  app.use(opsRoutes(ctx));
  app.use(readRoutes(ctx));
  app.use(writeRoutes(ctx));
  if (deps.deleteRun) app.use(runsDeleteRoutes(ctx, deps.deleteRun));
  app.use(notFound);
  app.use(errorMiddleware(deps.logger));
  return app;
}
