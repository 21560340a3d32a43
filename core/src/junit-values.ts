/** Lenient parsing of JUnit attribute values that producers write inconsistently. */

const PLAIN_NUMBER = /^\+?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const THOUSANDS_GROUPED = /^\d{1,3}(?:,\d{3})+(?:\.\d+)?$/;
const DECIMAL_COMMA = /^\d+,\d+$/;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
/** Only `0-9 . e E + -`. */
function onlyNumberChars(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!(isDigit(c) || c === 46 || c === 101 || c === 69 || c === 43 || c === 45)) return false;
  }
  return true;
}

/**
 * A `time` attribute (seconds) as whole milliseconds. Missing, negative or unreadable values are 0.
 * Locale-formatted times seen in the wild are accepted: `1,234.5` (thousands separators, old Surefire
 * under en locales) is 1234.5 s; `1,5` (decimal comma) is 1.5 s; a lone `1,234` is read as thousands.
 */
export function parseDurationMs(raw: string | undefined): number {
  if (raw === undefined) return 0;
  let s = raw.trim();
  // Nearly every time has no comma: the two locale forms are only tried when there is one.
  if (s.indexOf(',') !== -1) {
    if (THOUSANDS_GROUPED.test(s)) s = s.replace(/,/g, '');
    else if (DECIMAL_COMMA.test(s)) s = s.replace(',', '.');
  }
  // Fast path for the common `0.123`: a leading digit and only number characters, where Number()
  // accepts exactly what PLAIN_NUMBER does (NaN for the rest, which is 0 below as well).
  if (!(isDigit(s.charCodeAt(0)) && onlyNumberChars(s)) && !PLAIN_NUMBER.test(s)) return 0;
  const seconds = Number(s);
  return Number.isFinite(seconds) ? Math.round(seconds * 1000) : 0;
}

/** A `line` attribute as a non-negative integer, or undefined when absent or not a number. */
export function parseLine(raw: string | undefined): number | undefined {
  const s = raw?.trim();
  return s && /^\d{1,9}$/.test(s) ? Number(s) : undefined;
}

/** First non-blank line, used as the message of failures that carry none (jest-junit, go). */
export function firstLine(text: string | undefined): string | undefined {
  if (!text) return undefined;
  for (let start = 0; start < text.length; ) {
    const nl = text.indexOf('\n', start);
    const end = nl === -1 ? text.length : nl;
    const line = text.slice(start, end).trim();
    if (line) return line;
    start = end + 1;
  }
  return undefined;
}

/** Drops leading blank lines and trailing whitespace, keeping the first line's indentation. */
export function trimBlankLines(s: string): string {
  return s.replace(/^(?:[ \t]*\r?\n)+/, '').trimEnd();
}

/**
 * `file` relative to `baseDir` when it is an absolute path inside it (POSIX or Windows separators;
 * the result uses `/`); anything else unchanged. Only a prefix check: no file-system access.
 */
export function relativeFile(file: string | undefined, baseDir: string | undefined): string | undefined {
  if (file === undefined || !baseDir) return file;
  const norm = (p: string) => p.replace(/\\/g, '/');
  const base = norm(baseDir).replace(/\/+$/, '');
  const f = norm(file);
  return base !== '' && f.startsWith(`${base}/`) && f.length > base.length + 1
    ? f.slice(base.length + 1)
    : file;
}
