import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { parseMaxFailed, parseThreadsSchedule, RUN_ID_PATTERN, RUN_ID_RULE } from '@dozhim/core';
import { z } from 'zod';
import { decodeCursor } from '../snapshot.js';

// Route parameters and query strings. Request and response BODIES are the wire contract shared with
// the CLI: `@dozhim/core/wire`. Both validate requests AND generate the OpenAPI document (openapi.ts).
extendZodWithOpenApi(z);

export const RunIdParam = z
  .string()
  .regex(RUN_ID_PATTERN, RUN_ID_RULE)
  .openapi({ description: 'Run id; URL-encode `/` as %2F.', example: 'my-pipeline-1234' });

export const AttemptParam = z.coerce
  .number()
  .int('attempt must be a whole number')
  .min(1, 'attempt must be >= 1')
  .max(1000, 'attempt must be <= 1000')
  .openapi({ type: 'integer', minimum: 1, example: 1 });

export const RunParams = z.object({ runId: RunIdParam });
export const AttemptParams = z.object({ runId: RunIdParam, attempt: AttemptParam });

/** Every write may name the try it belongs to; a superseded try's writes are refused (409). */
export const WriteQuery = z.object({
  try: z.coerce.number().int().min(1).optional().openapi({
    description:
      'The try of the run this writer belongs to (the `try` a PUT or POST /tries answered). A write of an older try is refused with 409 `try_superseded`.',
  }),
});

export const ShardQuery = WriteQuery.extend({
  replace: z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .transform((v) => v === 'true' || v === '1')
    .openapi({
      description:
        'JSON uploads only: replace the shard instead of upserting into it (the first of several batches of one shard).',
    }),
  shard: z
    .string()
    .min(1)
    .max(200)
    .refine((s) => ![...s].some((ch) => ch.charCodeAt(0) < 0x20), 'shard must not contain control characters')
    .default('default')
    .openapi({
      description: 'Shard name, e.g. `1/4` or a Jenkins branch. Re-uploading a shard replaces it.',
    }),
});

const limit = (def: number, max: number) =>
  z.coerce.number().int().min(1).max(max).default(def).openapi({ type: 'integer' });

export const TestsQuery = z.object({
  status: z.enum(['failed', 'flaky', 'passed', 'all']).default('all'),
  attempt: AttemptParam.optional(),
  limit: limit(1000, 10_000),
  cursor: z
    .string()
    .max(2000)
    .refine((c) => decodeCursor(c) !== undefined, 'cursor must be a value returned as nextCursor')
    .optional(),
});

export const RunsQuery = z.object({
  project: z.string().max(200).optional(),
  branch: z.string().max(500).optional(),
  limit: limit(50, 500),
  cursor: z
    .string()
    .regex(/^\d{1,15}$/, 'cursor must be a value returned as nextCursor')
    .optional(),
});

const positiveInt = z.coerce.number().int().min(1).openapi({ type: 'integer' });
const wrapRange =
  <T>(parse: (s: string) => T) =>
  (s: string, ctx: z.RefinementCtx): T => {
    try {
      return parse(s);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
  };

export const DecisionQuery = z.object({
  maxRuns: positiveInt.optional(),
  maxFailed: z
    .string()
    .transform(wrapRange(parseMaxFailed))
    .optional()
    .openapi({ type: 'string', example: '40' }),
  stopOnNoProgress: z
    .enum(['true', 'false', '1', '0'])
    .transform((v) => v === 'true' || v === '1')
    .optional(),
  threads: positiveInt.optional(),
  threadsSchedule: z
    .string()
    .transform(wrapRange(parseThreadsSchedule))
    .optional()
    .openapi({ type: 'string', example: 'halve' }),
  minThreads: positiveInt.optional(),
});
