import { type Decision, decide, type PolicyOptions, writeMergedJUnit } from '@dozhim/core';
import { listTests, type RunProgress, type TestQuery, type TestRow, toCoreAttempts } from '../snapshot.js';
import { RunGoneError } from './records.js';
import type { Repository } from './repository.js';

/**
 * The reads whose cost grows with the run: one definition, run by the read worker (read-worker.ts)
 * on its own connection, or on the calling thread for an in-memory database.
 */
export type ReadRequest =
  | { op: 'summary'; runPk: number }
  | { op: 'tests'; runPk: number; query: TestQuery }
  | { op: 'decision'; runPk: number; options: Partial<PolicyOptions> }
  | { op: 'report'; runPk: number; name: string };

export interface ReadAnswers {
  summary: RunProgress;
  tests: { data: TestRow[]; nextCursor: string | null };
  /** null: the run has no uploaded shard yet (the route answers 409 no_results). */
  decision: Decision | null;
  /** The merged JUnit XML. */
  report: string;
}

export function runRead(repo: Repository, req: ReadRequest): ReadAnswers[ReadRequest['op']] {
  // Run by the worker inside one read transaction: the run is there whole in this snapshot, or gone.
  if (!repo.runExists(req.runPk)) throw new RunGoneError();
  switch (req.op) {
    case 'summary':
      return repo.summary(req.runPk);
    case 'tests':
      // Current state, and flaky (which needs each test's history): folded with core runState().
      return listTests(
        toCoreAttempts(repo.attempts(req.runPk), repo.shards(req.runPk), repo.results(req.runPk)),
        req.query,
      );
    case 'decision': {
      const attempts = toCoreAttempts(
        repo.attempts(req.runPk),
        repo.shards(req.runPk),
        repo.results(req.runPk),
      );
      return attempts.length === 0 ? null : decide(attempts, req.options);
    }
    case 'report': {
      const full = repo.results(req.runPk, { full: true });
      const attempts = toCoreAttempts(repo.attempts(req.runPk), repo.shards(req.runPk), full);
      return writeMergedJUnit(attempts, { name: req.name });
    }
  }
}
