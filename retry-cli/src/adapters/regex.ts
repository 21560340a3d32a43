/**
 * Regex building for name-based selection. Test names are data: every metacharacter is escaped, and
 * patterns are anchored so that `test a` never also selects `test ab`.
 */

/**
 * Escapes every character that has a meaning in a JavaScript regular expression (with or without the
 * `u` flag: only syntax characters and `/` are escaped, which both modes accept).
 */
export function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

/** Go's regexp.QuoteMeta: the characters RE2 treats specially. */
export function quoteMetaGo(text: string): string {
  return text.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/**
 * A literal test name as a JS pattern in which every whitespace run matches any whitespace run: report
 * producers and our own id normalization may fold or trim spaces, so `a  b` in one place is `a b` in another.
 */
export function literalPattern(text: string): string {
  return text.trim().split(/\s+/).map(escapeRegExp).join('\\s+');
}

/**
 * A name whose parts a reporter joined with `separator` (vitest's ` > `, Playwright's ` › `) while the
 * framework's filter sees them joined with a single space: each separator matches either form.
 */
export function joinedNamePattern(name: string, separator: string): string {
  const sepPattern = `(?:\\s+${escapeRegExp(separator.trim())}\\s+|\\s+)`;
  return name.split(separator).map(literalPattern).join(sepPattern);
}

/** `(?:a|b)` of already-built patterns; duplicates removed, order kept for readable commands. */
export function alternation(patterns: readonly string[]): string {
  const unique = uniq(patterns);
  return unique.length === 1 ? unique[0]! : `(?:${unique.join('|')})`;
}

/** Order-preserving de-duplication. */
export function uniq<T>(items: Iterable<T>): T[] {
  return [...new Set(items)];
}
