import { Router } from 'express';
import type { RouteContext } from '../context.js';
import { ApiError } from '../errors.js';
import { RunParams } from '../schemas.js';

/**
 * DELETE /api/v1/runs/:runId (write token): 204 when the run and everything under it (history
 * tries, attempts, shards, results) is gone, 404 run_not_found when there is no such run.
 *
 * Not refused while uploads to the run are in flight: the delete goes through the one upload queue,
 * so it runs between uploads, never inside one. An upload acknowledged before it is deleted with
 * the run; one that comes after starts the run id afresh (attempt 1; a later attempt gets 409
 * attempt_gap). Nothing is ever mixed from before and after the delete.
 */
export function runsDeleteRoutes(ctx: RouteContext): Router {
  const { uploads, store, write } = ctx;
  const router = Router();
  router.delete('/api/v1/runs/:runId', write, async (req, res) => {
    const { runId } = RunParams.parse(req.params);
    // Storage checks and fault answers as every other write (inside store.deleteRun: SQLite
    // db/retention.ts deleteRun, PostgreSQL PgStorage.deleteRun).
    const deleted = await uploads.run(() => store.deleteRun(runId));
    if (!deleted) throw new ApiError(404, 'run_not_found', `run "${runId}" does not exist`);
    res.status(204).end();
  });
  return router;
}
