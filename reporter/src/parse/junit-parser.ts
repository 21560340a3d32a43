import { JUnitParseError, parseJUnit, type StatusCounts, type TestResult } from '@dozhim/core';
import Database from 'better-sqlite3';
import { AttemptGapError, type Repository, type ShardTarget, WriteConflictError } from '../db/repository.js';
import {
  checkUploadCaps,
  LIMITS,
  ResultCapError,
  truncateResult,
  UploadCapError,
  type UploadCaps,
} from '../truncate.js';

export interface ParseRequest {
  body: Uint8Array;
  source: string;
  maxBytes: number;
}

/** Where an upload's results go: one shard of one attempt, replaced (repository.writeShard). */
export interface StoreTarget extends ShardTarget {
  /** Checked on the parsed results before the insert (checkUploadCaps). */
  caps?: UploadCaps | undefined;
}

/** Turns an uploaded JUnit body into the results to store (parseJUnit gives one per test id; texts truncated). */
export interface JUnitParser {
  parse(req: ParseRequest): Promise<TestResult[]>;
  /**
   * Parses and stores in one go where the data is (the worker, on its own connection to `file`), so
   * the results never cross a thread boundary. Same transaction and guards as writeShard.
   */
  parseAndStore?(req: ParseRequest, file: string, target: StoreTarget): Promise<StatusCounts>;
  close(): Promise<void>;
}

/**
 * The JUnit upload: parse, then replace the shard in one transaction (write guards inside it). In
 * the parser's worker when it can (file-backed database), else parse here and insert here.
 */
export async function ingestJUnit(
  parser: JUnitParser,
  repo: Repository,
  req: ParseRequest,
  target: StoreTarget,
): Promise<StatusCounts> {
  const file = repo.file;
  if (parser.parseAndStore && file) return parser.parseAndStore(req, file, target);
  return storeParsed(repo, await parser.parse(req), target);
}

/** The store step of an upload, the same on both threads: caps first, then one writeShard transaction. */
export function storeParsed(repo: Repository, results: TestResult[], target: StoreTarget): StatusCounts {
  if (target.caps) checkUploadCaps(results, target.caps);
  // The reader gives one result per id (uniqueIds).
  return repo.writeShard(
    { ...target, maxRunResults: target.caps?.maxRunResults, uniqueIds: true },
    results,
    'replace',
  );
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

/** Any error of parseAndStore as plain data, so the route sees the same classes as in-thread. */
export type StoreErrorData =
  | { kind: 'parse'; data: ParseErrorData }
  | { kind: 'gap'; runId: string; attempt: number }
  | { kind: 'conflict'; code: WriteConflictError['code']; message: string; details: Record<string, unknown> }
  | { kind: 'cap'; code: ResultCapError['code']; message: string; details: ResultCapError['details'] }
  | {
      kind: 'upload-cap';
      status: UploadCapError['status'];
      code: string;
      message: string;
      details: Record<string, unknown>;
    }
  | { kind: 'sqlite'; code: string; message: string };

export function storeErrorToData(e: unknown): StoreErrorData | undefined {
  if (e instanceof JUnitParseError) return { kind: 'parse', data: errorToData(e) };
  if (e instanceof AttemptGapError) return { kind: 'gap', runId: e.runId, attempt: e.attempt };
  if (e instanceof WriteConflictError)
    return { kind: 'conflict', code: e.code, message: e.message, details: e.details };
  if (e instanceof ResultCapError)
    return { kind: 'cap', code: e.code, message: e.message, details: e.details };
  if (e instanceof UploadCapError)
    return { kind: 'upload-cap', status: e.status, code: e.code, message: e.message, details: e.details };
  if (e instanceof Database.SqliteError) return { kind: 'sqlite', code: e.code, message: e.message };
  return undefined;
}

export function storeErrorFromData(d: StoreErrorData): Error {
  switch (d.kind) {
    case 'parse':
      return errorFromData(d.data);
    case 'gap':
      return new AttemptGapError(d.runId, d.attempt);
    case 'conflict':
      return new WriteConflictError(d.code, d.message, d.details);
    case 'cap':
      return new ResultCapError(d.code, d.message, d.details);
    case 'upload-cap':
      return new UploadCapError(d.status, d.code, d.message, d.details);
    case 'sqlite':
      return new Database.SqliteError(d.message, d.code);
  }
}
