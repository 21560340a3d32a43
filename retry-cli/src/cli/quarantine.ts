import { readFile } from 'node:fs/promises';
import type { TestResult } from '@dozhim/core';
import type { AdapterContext, FrameworkAdapter } from '../adapters/types.js';
import { UsageError } from './exit-codes.js';

/** Quarantine file: one entry a line; `#` after whitespace (or at the start) starts a comment. */
export function parseQuarantine(text: string): Set<string> {
  const ids = new Set<string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (line) ids.add(line);
  }
  return ids;
}

/**
 * The quarantined tests, as the set of canonical ids the policy asks `has()` of. Entries may be
 * written as canonical ids or as the framework's own ids (pytest node ids, `Class#method`: what
 * the adapter's selectors print, as `dozhim failed --format <framework>` shows them) or `file:line`;
 * those are matched when the run's tests become known (`learn`). Entries that match no test are
 * reported once (`unmatched`), so a typo never silently quarantines nothing.
 */
export class Quarantine extends Set<string> {
  private readonly listed: ReadonlySet<string>;
  private readonly matched = new Set<string>();
  private readonly seen = new Set<string>();

  constructor(
    entries: Iterable<string>,
    private readonly nativeIds: (r: TestResult) => string[] = () => [],
  ) {
    super();
    this.listed = new Set(entries);
    // Canonical entries count at once, before any result is seen.
    for (const e of this.listed) this.add(e);
  }

  learn(results: Iterable<TestResult>): void {
    if (this.listed.size === 0) return;
    for (const r of results) {
      if (this.seen.has(r.id)) continue;
      this.seen.add(r.id);
      const forms = [r.id, ...this.nativeIds(r)];
      if (r.file && r.line !== undefined) forms.push(`${r.file}:${r.line}`);
      for (const f of forms) {
        if (!this.listed.has(f)) continue;
        this.matched.add(f);
        this.add(r.id);
      }
    }
  }

  /** Entries that matched none of the tests learnt so far. */
  unmatched(): string[] {
    return [...this.listed].filter((e) => !this.matched.has(e));
  }
}

/** The framework's own ids of a result, from the adapter's selectors (one per test). */
export function nativeIdsOf(adapter: FrameworkAdapter, ctx: AdapterContext): (r: TestResult) => string[] {
  return (r) => {
    const ref = {
      id: r.id,
      suite: r.suite,
      classname: r.classname,
      name: r.name,
      ...(r.file ? { file: r.file } : {}),
    };
    try {
      return adapter.selectors([ref], ctx);
    } catch {
      return [];
    }
  };
}

export async function loadQuarantine(
  file: string | undefined,
  nativeIds?: (r: TestResult) => string[],
): Promise<Quarantine> {
  if (!file) return new Quarantine([]);
  try {
    return new Quarantine(parseQuarantine(await readFile(file, 'utf8')), nativeIds);
  } catch (e) {
    throw new UsageError(`cannot read quarantine file ${file}: ${(e as Error).message}`);
  }
}
