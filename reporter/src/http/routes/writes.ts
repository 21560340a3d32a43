import { type TestResult, testId } from '@dozhim/core';
import { AttemptPatchBody, ResultsBody, RunMetaBody } from '@dozhim/core/wire';
import { Router } from 'express';
import { ingestJUnit } from '../../parse/junit-parser.js';
import { dedupeById } from '../../snapshot.js';
import { checkUploadCaps, truncateResult } from '../../truncate.js';
import { readBody, readJson, requireMediaType } from '../body.js';
import type { RouteContext } from '../context.js';
import { ApiError, storageError } from '../errors.js';
import { AttemptParams, RunParams, ShardQuery, WriteQuery } from '../schemas.js';

/** Run metadata, attempt metadata and the two upload formats. Uploads create run and attempt as needed. */
export function writeRoutes(ctx: RouteContext): Router {
  const { repo, metrics, limits, parser, admission, caps, storage, write, now } = ctx;
  const router = Router();

  // Every write: refused when the file is not the one we opened, its outcome recorded for /healthz,
  // and not acknowledged when the file vanished during it (it would be gone at the next start).
  const stored = async <T>(write: () => T | Promise<T>): Promise<T> => {
    const before = storage?.fileStatus();
    if (before && !before.ok) throw storageError(before.problem!, before.message);
    let out: T;
    try {
      out = await write();
    } catch (e) {
      const problem = storage?.recordWrite(e);
      throw problem ? storageError(problem) : e;
    }
    storage?.recordWrite();
    const after = storage?.fileStatus();
    if (after && !after.ok) throw storageError(after.problem!, after.message);
    return out;
  };

  router.put('/api/v1/runs/:runId', write, async (req, res) => {
    const { runId } = RunParams.parse(req.params);
    const meta = RunMetaBody.parse(await readJson(req, limits.maxBodyBytes));
    const { run, created } = await stored(() => repo.upsertRun(runId, meta, now()));
    res.status(created ? 201 : 200).json(run);
  });

  router.post('/api/v1/runs/:runId/tries', write, async (req, res) => {
    const { runId } = RunParams.parse(req.params);
    res.json(await stored(() => repo.newTry(runId, now())));
  });

  router.patch('/api/v1/runs/:runId/attempts/:attempt', write, async (req, res) => {
    const { runId, attempt } = AttemptParams.parse(req.params);
    const q = WriteQuery.parse(req.query);
    const patch = AttemptPatchBody.parse(await readJson(req, limits.maxBodyBytes));
    res.json(await stored(() => repo.patchAttempt(runId, attempt, patch, now(), q.try)));
  });

  router.post('/api/v1/runs/:runId/attempts/:attempt/junit', write, async (req, res) => {
    const { runId, attempt } = AttemptParams.parse(req.params);
    const { shard, try: expectedTry } = ShardQuery.parse(req.query);
    requireMediaType(req, ['application/xml', 'text/xml']);
    const counts = await admission.admit(req, res, async (ticket) => {
      const body = await readBody(req, limits.maxBodyBytes);
      return ticket.queued(async () => {
        // Parsed before (and outside) the transaction: a bad file fails here and nothing is written.
        const source = `${runId} attempt ${attempt} shard ${shard}`;
        // The client may have gone while the upload waited: then nothing is parsed or stored.
        if (ticket.signal.aborted) throw new ApiError(499, 'cancelled', 'the upload was cancelled');
        // Parsed, capped (checkUploadCaps) and inserted in one transaction where the data is (the parse
        // worker's own connection): a bad or oversized file fails there and nothing is written.
        const upload = { body, source, maxBytes: limits.maxBodyBytes };
        const target = { runId, attempt, shard, now: now(), expectedTry, caps };
        return stored(() => ingestJUnit(parser, repo, upload, target));
      });
    });
    metrics.uploads.inc({ kind: 'junit' });
    metrics.results.inc({ kind: 'junit' }, counts.total);
    res.json({ runId, attempt, shard, counts });
  });

  router.post('/api/v1/runs/:runId/attempts/:attempt/results', write, async (req, res) => {
    const { runId, attempt } = AttemptParams.parse(req.params);
    const { shard, try: expectedTry, replace } = ShardQuery.parse(req.query);
    requireMediaType(req, ['application/json']);
    const { counts, count } = await admission.admit(req, res, async (ticket) => {
      const raw = await readJson(req, limits.maxBodyBytes);
      // Checked before the schema so a huge batch is refused without validating every item.
      const list = (raw as { results?: unknown } | null)?.results;
      if (Array.isArray(list) && list.length > limits.maxBatch) {
        throw new ApiError(
          413,
          'batch_too_large',
          `at most ${limits.maxBatch} results per request, got ${list.length}`,
          {
            limit: limits.maxBatch,
          },
        );
      }
      const results = dedupeById(
        ResultsBody.parse(raw).results.map(
          (r): TestResult =>
            truncateResult({
              ...r,
              id: r.id ?? testId(r),
              suite: r.suite ?? '',
              classname: r.classname ?? '',
              durationMs: r.durationMs ?? 0,
              properties: r.properties ?? {},
              retries: r.retries ?? [],
            }),
        ),
      );
      checkUploadCaps(results, caps);
      const mode = replace ? 'replace' : 'merge';
      const counts = await ticket.queued(() =>
        stored(() =>
          repo.writeShard(
            { runId, attempt, shard, now: now(), expectedTry, maxRunResults: caps.maxRunResults },
            results,
            mode,
          ),
        ),
      );
      return { counts, count: results.length };
    });
    metrics.uploads.inc({ kind: 'json' });
    metrics.results.inc({ kind: 'json' }, count);
    res.json({ runId, attempt, shard, counts });
  });
  return router;
}
