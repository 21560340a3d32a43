import type { StatusCounts, TestResult } from '@dozhim/core';
import type { Repository } from '../../src/db/repository.js';

/** Repository.writeShard in the positional form the tests read best. */
export const replaceShard = (
  repo: Repository,
  runId: string,
  attempt: number,
  shard: string,
  results: readonly TestResult[],
  now: string,
  expectedTry?: number,
): StatusCounts => repo.writeShard({ runId, attempt, shard, now, expectedTry }, results, 'replace');

export const mergeShard = (
  repo: Repository,
  runId: string,
  attempt: number,
  shard: string,
  results: readonly TestResult[],
  now: string,
  expectedTry?: number,
): StatusCounts => repo.writeShard({ runId, attempt, shard, now, expectedTry }, results, 'merge');
