import { STATUS_SEVERITY, type TestResult } from '@dozhim/core';

/**
 * One record per test id: when the same id appears twice (two shards ran it, or one JSON batch lists
 * it twice), the more severe status wins (core's order, as runState() folds), so a failure is never
 * hidden by a pass and nothing is counted twice. Its own module: the parse worker needs it, and
 * nothing of the wire contract (snapshot.ts) it would load with it.
 */
export function dedupeById<T extends TestResult>(results: readonly T[]): T[] {
  const byId = new Map<string, T>();
  for (const r of results) {
    const prev = byId.get(r.id);
    if (!prev || STATUS_SEVERITY[r.status] > STATUS_SEVERITY[prev.status]) byId.set(r.id, r);
  }
  return [...byId.values()];
}

/** `results` itself when every id is unique (nearly always), else dedupeById's fold. */
export function oneResultPerId<T extends TestResult>(results: readonly T[]): readonly T[] {
  const seen = new Set<string>();
  for (const r of results) {
    if (seen.has(r.id)) return dedupeById(results);
    seen.add(r.id);
  }
  return results;
}
