import { type TestResult, testId } from '@dozhim/core';
import { type Response, Router } from 'express';
import { ingestJUnit } from '../../parse/junit-parser.js';
import { dedupeById } from '../../snapshot.js';
import { truncateResult } from '../../truncate.js';
import { readBody, readJson, requireMediaType } from '../body.js';
import type { RouteContext } from '../context.js';
import { ApiError } from '../errors.js';
import {
  AttemptParams,
  AttemptPatchBody,
  ResultsBody,
  RunMetaBody,
  RunParams,
  ShardQuery,
  WriteQuery,
} from '../schemas.js';

/** Run metadata, attempt metadata and the two upload formats. Uploads create run and attempt as needed. */
export function writeRoutes(ctx: RouteContext): Router {
  const { repo, metrics, limits, parser, uploads, write, now } = ctx;
  const router = Router();

  // Bodies are read before they wait for the upload queue, each up to maxBodyBytes: bound how many
  // can be held at once, so a burst of uploads cannot exhaust memory. Clients retry 503s.
  let admitted = 0;
  const admit = async <T>(res: Response, work: () => Promise<T>): Promise<T> => {
    if (admitted >= limits.maxQueuedUploads) {
      // The body is not read: close the connection after the answer rather than drain it.
      res.setHeader('Connection', 'close');
      res.setHeader('Retry-After', '1');
      throw new ApiError(
        503,
        'busy',
        `${admitted} uploads are already being received or queued; retry later`,
        {
          limit: limits.maxQueuedUploads,
        },
      );
    }
    admitted++;
    try {
      return await work();
    } finally {
      admitted--;
    }
  };

  router.put('/api/v1/runs/:runId', write, async (req, res) => {
    const { runId } = RunParams.parse(req.params);
    const meta = RunMetaBody.parse(await readJson(req, limits.maxBodyBytes));
    const { run, created } = repo.upsertRun(runId, meta, now());
    res.status(created ? 201 : 200).json(run);
  });

  router.post('/api/v1/runs/:runId/tries', write, (req, res) => {
    const { runId } = RunParams.parse(req.params);
    res.json(repo.newTry(runId, now()));
  });

  router.patch('/api/v1/runs/:runId/attempts/:attempt', write, async (req, res) => {
    const { runId, attempt } = AttemptParams.parse(req.params);
    const q = WriteQuery.parse(req.query);
    const patch = AttemptPatchBody.parse(await readJson(req, limits.maxBodyBytes));
    res.json(repo.patchAttempt(runId, attempt, patch, now(), q.try));
  });

  router.post('/api/v1/runs/:runId/attempts/:attempt/junit', write, async (req, res) => {
    const { runId, attempt } = AttemptParams.parse(req.params);
    const { shard, try: expectedTry } = ShardQuery.parse(req.query);
    requireMediaType(req, ['application/xml', 'text/xml']);
    const counts = await admit(res, async () => {
      const body = await readBody(req, limits.maxBodyBytes);
      return uploads.run(async () => {
        // Parsed before (and outside) the transaction: a bad file fails here and nothing is written.
        const source = `${runId} attempt ${attempt} shard ${shard}`;
        const req = { body, source, maxBytes: limits.maxBodyBytes };
        return ingestJUnit(parser, repo, req, { runId, attempt, shard, now: now(), expectedTry });
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
    const { counts, stored } = await admit(res, async () => {
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
      const write = replace ? repo.replaceShard : repo.upsertResults;
      const counts = await uploads.run(() => write(runId, attempt, shard, results, now(), expectedTry));
      return { counts, stored: results.length };
    });
    metrics.uploads.inc({ kind: 'json' });
    metrics.results.inc({ kind: 'json' }, stored);
    res.json({ runId, attempt, shard, counts });
  });
  return router;
}
