export type JUnitErrorCode = 'empty' | 'too-large' | 'forbidden-dtd' | 'malformed' | 'not-junit';

/** Typed error for unreadable input; names the source and, when known, the position. */
export class JUnitParseError extends Error {
  override readonly name = 'JUnitParseError';
  constructor(
    readonly code: JUnitErrorCode,
    message: string,
    readonly source: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
  }
}

/** 1-based line and column of a string offset (only computed on the error path, so O(n) is fine). */
export function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}
