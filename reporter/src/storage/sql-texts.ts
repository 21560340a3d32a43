import Database from 'better-sqlite3';
import { migrate } from '../db/migrations.js';
import { Repository } from '../db/repository.js';

/**
 * INTERIM until db/sql.ts (the perf engineer's module of every SQL text) is merged: the texts of the
 * Repository's prepared statements, read from an in-memory Repository, so the PostgreSQL backend
 * already runs on the one definition of each query. Replaced by `export * from '../db/sql.js'`.
 */
function repositoryTexts() {
  const db = new Database(':memory:');
  migrate(db);
  const s = (new Repository(db) as unknown as { s: Record<string, { source: string }> }).s;
  const out = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v.source]));
  db.close();
  return out as Record<
    | 'ping'
    | 'runByKey'
    | 'insertRun'
    | 'updateRun'
    | 'touchRun'
    | 'listRuns'
    | 'attempt'
    | 'attempts'
    | 'lastAttempt'
    | 'insertHistory'
    | 'moveAttempts'
    | 'moveResults'
    | 'bumpTry'
    | 'insertAttempt'
    | 'updateAttempt'
    | 'shard'
    | 'insertShard'
    | 'touchShard'
    | 'shards'
    | 'shardCounts'
    | 'setShardCounts'
    | 'deleteShardResults'
    | 'insertResult'
    | 'upsertResult'
    | 'propertySet'
    | 'insertPropertySet'
    | 'leanResults'
    | 'fullResults'
    | 'attemptPage'
    | 'failingIds'
    | 'everFailedIds'
    | 'evidenceIds'
    | 'attemptCounts'
    | 'currentCounts'
    | 'shardsWithCounts',
    string
  >;
}

export const SQL = repositoryTexts();
