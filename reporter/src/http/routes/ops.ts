import { Router } from 'express';
import type { RouteContext } from '../context.js';
import { errorBody, STORAGE_RETRY_AFTER_S } from '../errors.js';
import { openApiDocument } from '../openapi.js';

/** Health, the OpenAPI document and Prometheus metrics. */
export function opsRoutes(ctx: RouteContext): Router {
  const { store, logger, metrics, read } = ctx;
  const openapi = JSON.stringify(openApiDocument(ctx.version));
  const router = Router();

  // 503 whenever a write could not be trusted: file removed or replaced, last write failed for
  // lack of space or permission, or the database does not answer. `details.problem` says which.
  router.get('/healthz', async (_req, res) => {
    const status = await store.health();
    if (status.ok) {
      res.json({ status: 'ok' });
      return;
    }
    logger.error({ problem: status.problem }, `health check: ${status.message}`);
    res.setHeader('Retry-After', String(STORAGE_RETRY_AFTER_S));
    res
      .status(503)
      .json(
        errorBody(
          'db_unavailable',
          status.message ?? 'the database does not answer',
          status.problem === 'no_answer' ? undefined : { problem: status.problem },
        ),
      );
  });

  router.get('/api/v1/openapi.json', (_req, res) => {
    res.type('application/json').send(openapi);
  });

  router.get('/metrics', read, async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
