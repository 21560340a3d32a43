import { z } from 'zod';
import { MAX_INT32, StatusCounts } from './results.js';
import { Run } from './runs.js';

/** Attempt-level bodies: the PATCH of an attempt's metadata, and the run view with its attempts. */

/** The decision that ended an attempt, as `dozhim` records it (the policy's action and its line). */
export const StoredDecision = z
  .object({
    action: z.enum(['finish', 'retry', 'terminate']),
    reason: z.string().max(100).optional(),
    line: z.string().max(2000),
  })
  .strict()
  .meta({ id: 'StoredDecision' });
export type StoredDecision = z.infer<typeof StoredDecision>;

const isoTime = z.iso.datetime({ offset: true });

/** PATCH /api/v1/runs/:runId/attempts/:attempt request (creates the attempt; given fields replace). */
export const AttemptPatchBody = z
  .object({
    threads: z.number().int().min(1).max(MAX_INT32).optional(),
    selectedCount: z.number().int().min(0).max(MAX_INT32).optional(),
    startedAt: isoTime.optional(),
    finishedAt: isoTime.optional(),
    exitCode: z.number().int().min(-MAX_INT32).max(MAX_INT32).optional(),
    decision: StoredDecision.optional(),
    shardTotal: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .optional()
      .meta({ description: 'Sharded attempt 1: how many shards it is split into.' }),
  })
  .strict()
  .meta({ id: 'AttemptPatch' });
export type AttemptPatch = z.infer<typeof AttemptPatchBody>;

/** An attempt's metadata as stored (PATCH response; each attempt of a run view). */
export const AttemptRecord = z
  .object({
    attempt: z.number().int(),
    threads: z.number().int().nullable(),
    selectedCount: z.number().int().nullable(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    exitCode: z.number().int().nullable(),
    decision: StoredDecision.nullable(),
    shardTotal: z.number().int().nullable(),
  })
  .meta({ id: 'Attempt' });
export type AttemptRecord = z.infer<typeof AttemptRecord>;

export const AttemptSummary = AttemptRecord.extend({
  counts: StatusCounts.meta({ description: 'One per test id: a failing shard wins over a passing one.' }),
  shards: z.array(z.object({ name: z.string(), uploadedAt: z.string(), counts: StatusCounts })),
}).meta({ id: 'AttemptSummary' });
export type AttemptSummary = z.infer<typeof AttemptSummary>;

/** Where a run stands: its attempts with counts, and the tests failing and flaky now. */
export const RunProgress = z.object({
  attempts: z.array(AttemptSummary),
  current: z.object({
    failing: z.array(z.string()),
    flaky: z.array(z.string()),
    totals: StatusCounts.extend({ flaky: z.number().int() }),
  }),
});
export type RunProgress = z.infer<typeof RunProgress>;

/** GET /api/v1/runs/:runId response. */
export const RunDetail = z.object({ run: Run, ...RunProgress.shape }).meta({ id: 'RunDetail' });
export type RunDetail = z.infer<typeof RunDetail>;

/** GET /api/v1/runs/:runId/decision response: core's decide() for the run as it stands. */
export const DecisionResponse = z
  .object({
    action: z.enum(['finish', 'retry', 'terminate']),
    reason: z.string(),
    line: z.string(),
    attempt: z.number().int(),
    maxRuns: z.number().int(),
    nextAttempt: z.number().int().optional(),
    nextThreads: z.number().int().optional(),
    testsToRerun: z.array(z.string()),
    outcome: z.enum(['passed', 'flaky', 'failed']),
    failing: z.array(z.string()),
    flaky: z.array(z.string()),
    notRetried: z.array(z.string()),
    quarantined: z.array(z.string()),
    failedInAttempt: z.number().int(),
    maxFailedLimit: z.number(),
  })
  .meta({ id: 'Decision' });
export type DecisionResponse = z.infer<typeof DecisionResponse>;
