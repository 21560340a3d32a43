import { JUnitParseError, parseJUnit, type TestResult } from '@dozhim/core';
import { LIMITS, truncateResult } from '../truncate.js';

export interface ParseRequest {
  body: Uint8Array;
  source: string;
  maxBytes: number;
}

/** Turns an uploaded JUnit body into the results to store (parseJUnit gives one per test id; texts truncated). */
export interface JUnitParser {
  parse(req: ParseRequest): Promise<TestResult[]>;
  close(): Promise<void>;
}

/** The pure step shared by the in-thread parser and the worker. Throws JUnitParseError. */
export function parseUpload(req: ParseRequest): TestResult[] {
  const parsed = parseJUnit(req.body, {
    source: req.source,
    maxBytes: req.maxBytes,
    maxOutputChars: LIMITS.details,
  });
  return parsed.results.map(truncateResult);
}

/** Parses on the calling thread (tests and embedding; main.ts uses the worker). */
export const inThreadParser: JUnitParser = {
  parse: async (req) => parseUpload(req),
  close: async () => {},
};

/** A JUnitParseError as plain data, to cross the worker boundary. */
export interface ParseErrorData {
  code: JUnitParseError['code'];
  message: string;
  source: string;
  line?: number | undefined;
  column?: number | undefined;
}

export const errorToData = (e: JUnitParseError): ParseErrorData => ({
  code: e.code,
  message: e.message,
  source: e.source,
  line: e.line,
  column: e.column,
});

export const errorFromData = (d: ParseErrorData): JUnitParseError =>
  new JUnitParseError(d.code, d.message, d.source, d.line, d.column);
