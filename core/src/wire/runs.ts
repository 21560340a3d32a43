import { z } from 'zod';

/**
 * Run-level bodies of the reporter's REST API. `.meta({ id })` names the OpenAPI component the
 * reporter's document generates from these schemas (zod-to-openapi reads zod's own metadata).
 */

const text = (max: number) => z.string().max(max);

/** PUT /api/v1/runs/:runId request: the run's CI metadata (given fields replace stored ones). */
export const RunMetaBody = z
  .object({
    project: text(200).optional(),
    branch: text(500).optional(),
    commit: text(200).optional(),
    ciUrl: text(2000).optional(),
    labels: z.record(text(100), text(1000)).optional(),
  })
  .strict()
  .meta({ id: 'RunMeta' });
export type RunMeta = z.infer<typeof RunMetaBody>;

/** A run as every endpoint answers it (PUT, POST /tries, GET, the run list). */
export const Run = z
  .object({
    id: z.string(),
    project: z.string().nullable(),
    branch: z.string().nullable(),
    commit: z.string().nullable(),
    ciUrl: z.string().nullable(),
    labels: z.record(z.string(), z.string()),
    try: z
      .number()
      .int()
      .min(1)
      .meta({ description: 'Current try of the run id (1, then +1 per superseding run)' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Run' });
export type Run = z.infer<typeof Run>;

/** POST /api/v1/runs/:runId/tries response. */
export const NewTryResponse = z
  .object({
    run: Run,
    superseded: z.number().int().min(0).meta({
      description: 'Attempts of the previous try moved to history (0: the run had none, nothing changed)',
    }),
  })
  .meta({ id: 'NewTry' });
export type NewTryResponse = z.infer<typeof NewTryResponse>;

/** GET /api/v1/runs response. */
export const RunsPage = z
  .object({ data: z.array(Run), nextCursor: z.string().min(1).nullable() })
  .meta({ id: 'RunsPage' });
export type RunsPage = z.infer<typeof RunsPage>;
