import { Router } from 'express';
import type { RouteContext } from '../context.js';
import { errorBody } from '../errors.js';
import { openApiDocument } from '../openapi.js';

/** Health, the OpenAPI document and Prometheus metrics. */
export function opsRoutes(ctx: RouteContext): Router {
  const { repo, logger, metrics, read } = ctx;
  const openapi = JSON.stringify(openApiDocument(ctx.version));
  const router = Router();

  router.get('/healthz', (_req, res) => {
    try {
      repo.ping();
      res.json({ status: 'ok' });
    } catch (e) {
      logger.error({ err: e }, 'health check: database does not answer');
      res.status(503).json(errorBody('db_unavailable', 'the database does not answer'));
    }
  });

  router.get('/api/v1/openapi.json', (_req, res) => {
    res.type('application/json').send(openapi);
  });

  router.get('/metrics', read, async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
