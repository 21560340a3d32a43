import type { PolicyOptions } from '@dozhim/core';
import { type Request, type Response, Router } from 'express';
import { decodeCursor, encodeCursor, toRow } from '../../snapshot.js';
import type { ReportStream, Storage } from '../../storage/storage.js';
import type { RouteContext } from '../context.js';
import { ApiError } from '../errors.js';
import { DecisionQuery, RunParams, RunsQuery, TestsQuery } from '../schemas.js';

/** Runs whose /failedTests answer is kept (oldest entry dropped first). */
const MAX_CACHED_RUNS = 256;

/** The run named by `:runId`, or a 404. */
export async function runOr404(store: Storage, req: Request) {
  const { runId } = RunParams.parse(req.params);
  const found = await store.runKey(runId);
  if (!found) throw new ApiError(404, 'run_not_found', `run "${runId}" does not exist`);
  return found;
}

type FoundRun = Awaited<ReturnType<typeof runOr404>>;

/**
 * The lookup and the read are two steps (two statements, or the read worker's own snapshot): a
 * DELETE, retention or a new try (on any replica) may land between them, and the read would then
 * show an empty run, or another run that reused the key, as this one. So after the read the run must
 * still be the one that was found: gone is 404 as the lookup would have said, changed is 409 (read
 * again); never an empty answer that reads as "nothing failed".
 */
async function stillThere(store: Storage, found: FoundRun): Promise<void> {
  const now = await store.runKey(found.run.id);
  if (!now) throw new ApiError(404, 'run_not_found', `run "${found.run.id}" was deleted while it was read`);
  if (now.pk !== found.pk || now.run.try !== found.run.try) {
    throw new ApiError(
      409,
      'run_changed',
      `run "${found.run.id}" changed while it was read (a new try started, or it was deleted and created again); read it again`,
    );
  }
}

/** Query parameters of /decision to core policy options (only those given; core defaults the rest). */
export function policyFromQuery(q: ReturnType<typeof DecisionQuery.parse>): Partial<PolicyOptions> {
  const options: Partial<PolicyOptions> = {};
  if (q.maxRuns !== undefined) options.maxRuns = q.maxRuns;
  if (q.maxFailed !== undefined) options.maxFailed = q.maxFailed;
  if (q.stopOnNoProgress !== undefined) options.stopOnNoProgress = q.stopOnNoProgress;
  if (q.threads !== undefined) options.threads = q.threads;
  if (q.threadsSchedule !== undefined) options.schedule = q.threadsSchedule;
  if (q.minThreads !== undefined) options.minThreads = q.minThreads;
  return options;
}

/** Writes the report's chunks as the client takes them; stops when it goes away. */
async function pipeReport(stream: ReportStream, res: Response): Promise<void> {
  let gone = false;
  const onClose = () => {
    gone = true;
    stream.cancel();
  };
  res.on('close', onClose);
  try {
    for (let chunk = await stream.next(); chunk && !gone; chunk = await stream.next()) {
      if (!res.write(chunk) && !gone) {
        await new Promise<void>((resolve) => {
          res.once('drain', resolve);
          res.once('close', resolve);
        });
      }
    }
    if (!gone) res.end();
  } finally {
    res.off('close', onClose);
  }
}

/**
 * Every read of runs and tests, including the legacy /failedTests call. The legacy call and one
 * attempt's pages are indexed SQL on this thread (O(failures) / O(page)); the reads that grow with
 * the run (summary, current tests, decision, report) run in the read worker.
 */
export function readRoutes({ store, read }: RouteContext): Router {
  const router = Router();

  // Legacy: the exact call and answer of the home-made service it replaces. Polled by every CI job
  // of a run: the JSON is kept until the next write (of any connection), then computed again.
  const failedBodies = new Map<number, { version: string; body: string }>();
  router.get('/failedTests/:runId', read, async (req, res) => {
    const found = await runOr404(store, req);
    const { pk } = found;
    // Read before computing: a write that lands meanwhile changes it, so the entry is never stale.
    const version = await store.writeVersion();
    let hit = failedBodies.get(pk);
    if (hit?.version !== version) {
      hit = { version, body: JSON.stringify({ data: await store.failingIds(pk) }) };
      if (failedBodies.size >= MAX_CACHED_RUNS) failedBodies.delete(failedBodies.keys().next().value!);
      failedBodies.set(pk, hit);
    }
    await stillThere(store, found);
    res.type('application/json').send(hit.body);
  });

  router.get('/api/v1/runs', read, async (req, res) => {
    const q = RunsQuery.parse(req.query);
    const page = await store.listRuns({
      ...q,
      before: q.cursor === undefined ? undefined : Number(q.cursor),
    });
    res.json({ data: page.runs, nextCursor: page.next === null ? null : String(page.next) });
  });

  router.get('/api/v1/runs/:runId', read, async (req, res) => {
    const found = await runOr404(store, req);
    // Counted by SQL (the storage's summary), equal to snapshot.ts summarizeRun() (checked by a randomized test).
    const summary = await store.read({ op: 'summary', runPk: found.pk });
    await stillThere(store, found);
    res.json({ run: found.run, ...summary });
  });

  router.get('/api/v1/runs/:runId/tests', read, async (req, res) => {
    const found = await runOr404(store, req);
    const { pk } = found;
    const q = TestsQuery.parse(req.query);
    if (q.attempt !== undefined && q.status !== 'flaky') {
      // One attempt's records page straight from SQL (the CLI reads attempts page by page).
      const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
      const rows = await store.attemptPage({
        runPk: pk,
        attempt: q.attempt,
        filter: q.status,
        after,
        limit: q.limit + 1,
      });
      const page = rows.slice(0, q.limit).map(toRow);
      await stillThere(store, found);
      res.json({
        data: page,
        nextCursor: rows.length > q.limit ? encodeCursor(page[page.length - 1]!) : null,
      });
      return;
    }
    const tests = await store.read({ op: 'tests', runPk: pk, query: q });
    await stillThere(store, found);
    res.json(tests);
  });

  router.get('/api/v1/runs/:runId/decision', read, async (req, res) => {
    const found = await runOr404(store, req);
    const { pk, run } = found;
    const options = policyFromQuery(DecisionQuery.parse(req.query));
    const decision = await store.read({ op: 'decision', runPk: pk, options });
    await stillThere(store, found);
    if (decision === null)
      throw new ApiError(409, 'no_results', `run "${run.id}" has no uploaded results yet`);
    res.json(decision);
  });

  router.get('/api/v1/runs/:runId/report.xml', read, async (req, res) => {
    const found = await runOr404(store, req);
    const stream = await store.report(found.pk, found.run.id);
    // The worker computed the whole report in one snapshot before its first chunk came back.
    try {
      await stillThere(store, found);
    } catch (e) {
      stream.cancel();
      throw e;
    }
    res.type('application/xml');
    await pipeReport(stream, res);
  });
  return router;
}
