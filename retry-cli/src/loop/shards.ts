import type { StoredAttempt } from '../store/local-state.js';
import { safeSegment } from '../store/state-layout.js';

/**
 * Sharded pipelines: attempt 1 is split over N parallel jobs (`dozhim attempt --shard K/N`), and one
 * later job reruns the failing tests of all of them. The rerun may only be decided on a complete
 * attempt 1: a shard that has not reported yet would have its failures silently missing.
 */

export interface ShardPosition {
  index: number;
  total: number;
}

const POSITION_RE = /^(\d{1,4})\/(\d{1,4})$/;

/** `2/3` → shard 2 of 3; anything else (a free shard name, `default`) → undefined. */
export function shardPosition(name: string): ShardPosition | undefined {
  const m = POSITION_RE.exec(name);
  if (!m) return undefined;
  const index = Number(m[1]);
  const total = Number(m[2]);
  return index >= 1 && index <= total ? { index, total } : undefined;
}

export const shardName = (p: ShardPosition): string => `${p.index}/${p.total}`;

/** `{shardIndex}`/`{shardTotal}` of an attempt: its share K/N, or 1 of 1 when it runs everything. */
export function shardPlaceholders(shard: string): { shardIndex: number; shardTotal: number } {
  const p = shardPosition(shard);
  return p ? { shardIndex: p.index, shardTotal: p.total } : { shardIndex: 1, shardTotal: 1 };
}

/**
 * Names of the shards of a sharded attempt that have not reported, compared in their file-safe
 * form (local state stores `1/3` as `1_3`). Empty when complete, or when the attempt is not sharded.
 */
export function missingShards(attempt: Pick<StoredAttempt, 'meta' | 'shards'>): string[] {
  const total = attempt.meta.shardTotal;
  if (!total) return [];
  const have = new Set((attempt.shards ?? []).map(safeSegment));
  const missing: string[] = [];
  for (let i = 1; i <= total; i++) {
    const name = shardName({ index: i, total });
    if (!have.has(safeSegment(name))) missing.push(name);
  }
  return missing;
}
