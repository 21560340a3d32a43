import type { TestResult } from '@dozhim/core';

/** What the repository stores and returns (API-facing shapes). */

// The API-facing shapes are the wire contract's (one definition, shared with the CLI).
export type {
  AttemptPatch,
  AttemptRecord,
  Run as RunRecord,
  RunMeta,
  StoredDecision,
} from '@dozhim/core/wire';

export interface ShardRecord {
  attempt: number;
  name: string;
  uploadedAt: string;
}

/** Where a write of results goes: one shard of one attempt of a run, by a writer of a try. */
export interface ShardTarget {
  runId: string;
  attempt: number;
  shard: string;
  now: string;
  /** The try the writer belongs to; a write of a superseded try is refused (409). */
  expectedTry?: number | undefined;
  /**
   * Most results the run may hold, all attempts (DOZHIM_MAX_RUN_RESULTS): a write that would bring
   * it over is refused inside its transaction (ResultCapError too_many_results). Undefined: no cap.
   */
  maxRunResults?: number | undefined;
  /**
   * The results come from the JUnit reader, which gives one per id (it folds repeats): the duplicate
   * check is skipped. Were it wrong, the UNIQUE index refuses the write (an error, never a merge).
   */
  uniqueIds?: boolean | undefined;
}

/** `replace`: the shard holds exactly the written results; `merge`: insert or update per test id. */
export type WriteMode = 'replace' | 'merge';

/** A stored result with where it came from. */
export interface StoredResult extends TestResult {
  attempt: number;
  shard: string;
}

/** Attempt N may only be written once attempt N-1 exists: results must not skip a rerun. */
/**
 * The run was removed (DELETE or retention) between the route finding it and the read that grows
 * with it: the read's own snapshot shows no run, and answers 404 as the route would have, never an
 * empty run (which would read as "nothing failed").
 */
export class RunGoneError extends Error {
  override readonly name = 'RunGoneError';
  constructor() {
    super('the run was deleted while it was read');
  }
}

export class AttemptGapError extends Error {
  override readonly name = 'AttemptGapError';
  constructor(
    readonly runId: string,
    readonly attempt: number,
  ) {
    super(`attempt ${attempt} of run "${runId}" cannot be recorded before attempt ${attempt - 1}`);
  }
}

/**
 * A write the run's state no longer allows (409): the writer's try was superseded by a newer
 * `dozhim run` of the run id, or a later attempt already started from this attempt's results.
 */
export class WriteConflictError extends Error {
  override readonly name = 'WriteConflictError';
  constructor(
    readonly code: 'try_superseded' | 'attempt_closed',
    message: string,
    readonly details: Record<string, unknown>,
  ) {
    super(message);
  }
}
