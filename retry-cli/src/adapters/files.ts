import { existsSync, readdirSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';

const SKIP_DIRS = new Set([
  'node_modules',
  '.git',
  '.venv',
  'venv',
  '__pycache__',
  'dist',
  'target',
  'build',
]);
const MAX_DEPTH = 8;
const MAX_ENTRIES = 20_000;

const toPosix = (p: string): string => p.split(sep).join('/');

/**
 * Finds a file named by a report (relative to the framework's root, which may differ from cwd) and
 * returns it relative to cwd, posix-style. Tries cwd and its ancestors first, then a bounded walk of
 * cwd's subtree for a path ending in `/<rel>`, preferring the shortest. Undefined when nothing matches.
 */
export function resolveReportedFile(rel: string, cwd: string): string | undefined {
  if (isAbsolute(rel)) return existsSync(rel) ? toPosix(relative(cwd, rel)) || rel : undefined;
  for (let dir = cwd, up = 0; up < 4; up++, dir = dirname(dir)) {
    const candidate = join(dir, rel);
    if (existsSync(candidate)) return toPosix(relative(cwd, candidate));
    if (dirname(dir) === dir) break;
  }
  const suffix = `/${toPosix(rel)}`;
  const found: string[] = [];
  let seen = 0;
  const walk = (dir: string, depth: number): void => {
    if (depth > MAX_DEPTH || seen > MAX_ENTRIES) return;
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      seen++;
      const full = join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name) && !e.name.startsWith('.')) walk(full, depth + 1);
      } else if (toPosix(full).endsWith(suffix)) found.push(toPosix(relative(cwd, full)));
    }
  };
  walk(cwd, 0);
  return found.sort((a, b) => a.length - b.length || a.localeCompare(b))[0];
}

/** Memoizes resolveReportedFile for one selection (many tests share a few files). */
export function fileResolver(cwd: string): (rel: string) => string | undefined {
  const cache = new Map<string, string | undefined>();
  return (rel) => {
    if (!cache.has(rel)) cache.set(rel, resolveReportedFile(rel, cwd));
    return cache.get(rel);
  };
}
