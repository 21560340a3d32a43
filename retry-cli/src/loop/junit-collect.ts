import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { JUnitParseError, type RepeatRule, readJUnitFile, type TestResult } from '@dozhim/core';

/**
 * Finds and reads the JUnit reports of ONE attempt.
 *
 * Reports of earlier attempts must never be mistaken for this one's: with the default per-attempt
 * path that holds by construction (a fresh directory per attempt); with a user `--junit <glob>` the
 * files matching before the attempt are fingerprinted (mtime + size) and only files that are new or
 * changed afterwards are read.
 */

export type Fingerprints = Map<string, string>;

async function fingerprint(path: string): Promise<string | undefined> {
  try {
    const s = await stat(path);
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  } catch {
    return undefined;
  }
}

export async function matchReports(patterns: string | readonly string[], cwd: string): Promise<string[]> {
  // Loaded on first use: only --junit globs and adapters without a fixed report path need it.
  const { glob } = await import('tinyglobby');
  const files = await glob(typeof patterns === 'string' ? [patterns] : [...patterns], {
    cwd,
    absolute: true,
    onlyFiles: true,
    dot: true,
  });
  return files.sort();
}

/** Fingerprints of the files matching the glob before the attempt starts. */
export async function snapshotReports(
  pattern: string | readonly string[],
  cwd: string,
): Promise<Fingerprints> {
  const map: Fingerprints = new Map();
  for (const f of await matchReports(pattern, cwd)) {
    const fp = await fingerprint(f);
    if (fp) map.set(f, fp);
  }
  return map;
}

export interface CollectedReports {
  files: string[];
  results: TestResult[];
  /** Files that matched but could not be read as JUnit, with the reason. */
  unreadable: { file: string; reason: string }[];
  /** The reader's warnings (e.g. one id reported twice, read as two executions), prefixed by the file. */
  warnings: string[];
}

export interface CollectOptions {
  cwd: string;
  /** The attempt's fresh report path (used when no glob is given). */
  junitPath: string;
  /** User `--junit` glob or the adapter's report globs; only files new or changed since `before` count. */
  globs?: readonly string[];
  before?: Fingerprints;
  /**
   * How a test reported more than once in one file is read (core's `ReadOptions.repeats`): the
   * caller passes `options.junitRepeats ?? adapter.repeats`. Default: core's (`executions`).
   */
  repeats?: RepeatRule;
  /** The adapter's fix-ups of what its producer writes (FrameworkAdapter.normalize), per file. */
  normalize?: (results: TestResult[]) => TestResult[];
}

export async function collectReports(options: CollectOptions): Promise<CollectedReports> {
  let files: string[];
  if (options.globs && options.globs.length > 0) {
    const before = options.before ?? new Map();
    files = [];
    for (const f of await matchReports(options.globs, options.cwd)) {
      const fp = await fingerprint(f);
      if (fp && before.get(f) !== fp) files.push(f);
    }
  } else {
    const p = isAbsolute(options.junitPath) ? options.junitPath : resolve(options.cwd, options.junitPath);
    files = (await fingerprint(p)) ? [p] : [];
  }
  const results: TestResult[] = [];
  const unreadable: CollectedReports['unreadable'] = [];
  const read: string[] = [];
  const warnings: string[] = [];
  for (const file of files) {
    try {
      // baseDir: absolute file paths (mocha) become cwd-relative, so ids do not depend on the checkout.
      const report = await readJUnitFile(file, {
        source: file,
        baseDir: options.cwd,
        ...(options.repeats ? { repeats: options.repeats } : {}),
      });
      results.push(...(options.normalize ? options.normalize(report.results) : report.results));
      for (const w of report.warnings) warnings.push(`${file}: ${w}`);
      read.push(file);
    } catch (e) {
      const reason = e instanceof JUnitParseError ? `${e.code}: ${e.message}` : (e as Error).message;
      unreadable.push({ file, reason });
    }
  }
  return { files: read, results, unreadable, warnings };
}
