import { Router } from 'express';
import type { RouteContext } from '../context.js';
import { ApiError, storageError } from '../errors.js';
import { RunParams } from '../schemas.js';

/** Removes a run with all its tries (SQLite: db/retention.ts deleteRun); false when unknown. */
export type DeleteRun = (runId: string) => boolean | Promise<boolean>;

/**
 * DELETE /api/v1/runs/:runId (write token): 204 when the run and everything under it (history
 * tries, attempts, shards, results) is gone, 404 run_not_found when there is no such run.
 *
 * Not refused while uploads to the run are in flight: the delete goes through the one upload queue,
 * so it runs between uploads, never inside one. An upload acknowledged before it is deleted with
 * the run; one that comes after starts the run id afresh (attempt 1; a later attempt gets 409
 * attempt_gap). Nothing is ever mixed from before and after the delete.
 */
export function runsDeleteRoutes(ctx: RouteContext, deleteRun: DeleteRun): Router {
  const { uploads, storage, write } = ctx;
  const router = Router();
  router.delete('/api/v1/runs/:runId', write, async (req, res) => {
    const { runId } = RunParams.parse(req.params);
    // The same storage checks as every other write (routes/writes.ts): not acknowledged on a file
    // that is not the one opened, and a failure answered by what it says about the storage.
    const before = storage?.fileStatus();
    if (before && !before.ok) throw storageError(before.problem!, before.message);
    let deleted: boolean;
    try {
      deleted = await uploads.run(() => deleteRun(runId));
    } catch (e) {
      const problem = storage?.recordWrite(e);
      throw problem ? storageError(problem) : e;
    }
    storage?.recordWrite();
    if (!deleted) throw new ApiError(404, 'run_not_found', `run "${runId}" does not exist`);
    res.status(204).end();
  });
  return router;
}
