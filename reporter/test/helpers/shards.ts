import type { StatusCounts, TestResult } from '@dozhim/core';
import type { Repository, WriteMode } from '../../src/db/repository.js';

/** Repository.writeShard in the positional form the tests read best. */
const shardWriter =
  (mode: WriteMode) =>
  (
    repo: Repository,
    runId: string,
    attempt: number,
    shard: string,
    results: readonly TestResult[],
    now: string,
    expectedTry?: number,
  ): StatusCounts =>
    repo.writeShard({ runId, attempt, shard, now, expectedTry }, results, mode);

export const replaceShard = shardWriter('replace');
export const mergeShard = shardWriter('merge');

/** A result of test `C::<name>` (classname and suite `C`), the shape most storage tests need. */
export const classResult = (name: string, status: TestResult['status']): TestResult => ({
  id: `C::${name}`,
  suite: 'C',
  classname: 'C',
  name,
  status,
  durationMs: 1,
  properties: {},
  retries: [],
});
