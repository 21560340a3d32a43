/**
 * JUnit XML reader: normalizes the reports of Surefire/Gradle, pytest, jest-junit, vitest, mocha,
 * Playwright, gotestsum/go-junit-report and similar producers into TestResult (model.ts).
 * The rules (precedence, output, retries, limits) are documented in core/README.md.
 */
import { open, readFile, stat } from 'node:fs/promises';
import { executionsOf, normalizeEvidence, primaryIndex } from './executions.js';
import { ID_SEPARATOR, testId } from './identity.js';
import { JUnitParseError } from './junit-errors.js';
import { cleanAttr, type El, Interner, JUnitTreeBuilder, own, XmlSyntaxError } from './junit-sax.js';
import { firstLine, parseDurationMs, parseLine, relativeFile, trimBlankLines } from './junit-values.js';
import type { RetryEvidence, RetryEvidenceKind, StatusCounts, TestResult, TestStatus } from './model.js';
import { STATUS_SEVERITY } from './state.js';
import { InputCleaner, prepareXml, tooLarge } from './xml-input.js';
import { cleanParsedText, truncateMiddle } from './xml-text.js';
import { findTruncation, type Truncation } from './xml-truncation.js';

export { type JUnitErrorCode, JUnitParseError } from './junit-errors.js';

export const DEFAULT_MAX_INPUT_BYTES = 100 * 1024 * 1024;
export const DEFAULT_MAX_OUTPUT_CHARS = 64 * 1024;

/**
 * Name of the result that stands for a failure outside any testcase (a class that failed to load, a
 * suite whose counts show more failures than its testcases), like Jenkins' `<init>` case. Adapters
 * re-run the whole file/class/suite for it.
 */
export const SUITE_LEVEL_NAME = '<init>';
export const isSuiteLevel = (r: Pick<TestResult, 'name'>): boolean => r.name === SUITE_LEVEL_NAME;

/** Property the writer uses to carry `TestResult.executions` through a merged report. */
export const EXECUTIONS_PROPERTY = 'dozhim.executions';

/**
 * What several results with one id in one report mean (results the producer marks as retries, i.e.
 * Surefire/Gradle flaky and rerun elements, are retries in both modes):
 * - `executions` (default): distinct executions (TestNG data providers, repeated or parametrized
 *   JUnit 5 tests without distinct names, `--repeat-each`): one result that fails if any failed.
 * - `retries`: the producer writes retries that way (gotestsum `--rerun-fails`, @web/test-runner):
 *   the last occurrence wins and earlier failed tries become retry evidence.
 */
export type RepeatRule = 'retries' | 'executions';

export interface ReadOptions {
  /** File name or label used in errors. */
  source?: string;
  /** Input larger than this is rejected with code `too-large`. */
  maxBytes?: number;
  /** stdout/stderr/details longer than this are truncated (with a marker). */
  maxOutputChars?: number;
  /** Several results with one id: distinct executions (default) or retries. See RepeatRule. */
  repeats?: RepeatRule;
  /**
   * The directory the tests ran in. Absolute `file`s under it (mocha, PHPUnit write absolute paths)
   * become relative (with `/`), so ids do not depend on where the checkout lives (CI agents, shards).
   */
  baseDir?: string;
}

export interface ParsedReport {
  source: string;
  results: TestResult[];
  counts: StatusCounts;
  /** What the reader had to decide that the report did not say (ids shared by several results). */
  warnings: string[];
}

/**
 * What most results share: no properties of their own, no retry evidence. One frozen object each (a
 * mutation throws instead of changing every result), instead of two fresh ones per result.
 */
const NO_PROPERTIES: Record<string, string> = Object.freeze({}) as Record<string, string>;
const NO_RETRIES = Object.freeze([]) as unknown as RetryEvidence[];

export function countStatuses(results: readonly TestResult[]): StatusCounts {
  const c: StatusCounts = { total: 0, passed: 0, failed: 0, error: 0, skipped: 0 };
  for (const r of results) {
    c.total++;
    c[r.status]++;
  }
  return c;
}

/**
 * Parses one JUnit XML document (string or bytes; synchronous). Throws JUnitParseError for anything
 * that is not a readable report.
 */
export function parseJUnit(xml: string | Uint8Array, options: ReadOptions = {}): ParsedReport {
  const source = options.source ?? '<input>';
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_INPUT_BYTES;
  // Bytes go through once without the invalid-character scan; a report that has one is read again
  // with it (InputLimits.invalidChars), so what it gives is what the scanned read gives.
  const once = (invalidChars: 'replace' | 'refuse'): ParsedReport => {
    const text = prepareXml(xml, { source, maxBytes, invalidChars });
    const reader = new ReportBuilder(options, source);
    try {
      reader.write(text);
      return reader.end();
    } catch (e) {
      if (invalidChars === 'refuse' && e instanceof XmlSyntaxError) throw e;
      throw syntaxError(e, source, text);
    }
  };
  try {
    if (typeof xml === 'string') return once('replace');
    try {
      return once('refuse');
    } catch (e) {
      // Any parser error, not only an invalid character: what the error says (a truncation found in
      // the text, say) is worked out on the scanned text, exactly as for a string.
      if (!(e instanceof XmlSyntaxError)) throw e;
      return once('replace');
    }
  } finally {
    forgetLastMatch();
  }
}

/**
 * V8 keeps the subject of the last successful regex match (for the legacy `RegExp.input`/`$_`):
 * after a whole-document match (the blank check) that is the decoded document, held until some other
 * match, e.g. in an idle parse worker. A match on an empty string lets it go.
 */
const forgetLastMatch = (): void => {
  /^/.test('');
};

/**
 * The parser met an XML-invalid character (only possible when they were left in: `refuse`). saxes
 * says the same of a `<` in an attribute value: that input is read again too, on its way to the same
 * refusal (an error path only).
 */
const sawInvalidChar = (e: unknown): boolean =>
  e instanceof XmlSyntaxError && e.reason === 'disallowed character.';

/**
 * Reads a report file in one streaming pass: memory holds the results and one top-level suite, not
 * the file. The size is checked with stat first so huge files fail fast. When a regular file turns
 * out malformed, it is read again whole (error path only, no second parse) so the error names where
 * a truncated report ends and what was left open, exactly as parseJUnit does.
 */
export async function readJUnitFile(path: string, options: ReadOptions = {}): Promise<ParsedReport> {
  const source = options.source ?? path;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_INPUT_BYTES;
  const info = await stat(path);
  if (info.size > maxBytes) throw tooLarge(source, info.size, maxBytes);
  const opts = { ...options, source, maxBytes };
  try {
    // A regular file can be read twice: once without the invalid-character scan, again with it
    // only if it has one (see parseJUnit). Pipes and devices are read once, scanned.
    if (!info.isFile()) return await readStream(fileChunks(path), opts, 'replace');
    try {
      return await readStream(fileChunks(path), opts, 'refuse');
    } catch (e) {
      if (!sawInvalidChar(e)) throw e;
      return await readStream(fileChunks(path), opts, 'replace');
    }
  } catch (e) {
    if (!(e instanceof JUnitParseError) || e.code !== 'malformed' || !info.isFile()) throw e;
    // The same cleaned text as parseJUnit, so the same truncation message; other errors already carry
    // the parser's position, which is the same in one pass or in chunks.
    const text = prepareXml(await readFile(path), { source, maxBytes });
    const cut = findTruncation(text);
    throw cut ? truncated(source, cut) : e;
  }
}

/** Bytes read per chunk: the size of a file stream's chunk (a 256 KiB chunk measured slower). */
const CHUNK_BYTES = 64 * 1024;

/**
 * A file's bytes in chunks, the next chunk read while the caller parses this one (a file stream
 * reads only when its buffer runs low, and the parser then waits for the disk). Works on pipes and
 * devices too (a short read is a chunk; the cap is the caller's, see readJUnitStream).
 */
async function* fileChunks(path: string): AsyncGenerator<Uint8Array> {
  const file = await open(path, 'r');
  const read = () => file.read(Buffer.allocUnsafe(CHUNK_BYTES), 0, CHUNK_BYTES, null);
  let next = read();
  try {
    for (;;) {
      const { bytesRead, buffer } = await next;
      if (bytesRead === 0) return;
      next = read();
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    // A read still in flight when the caller stops (an error, a refusal) ends before the close.
    await next.catch(() => undefined);
    await file.close();
  }
}

/**
 * Reads a report from a stream of bytes (or text) chunks: a file, a pipe, an HTTP request body.
 * Pipes and devices may never end (`/dev/zero`): input is counted against `maxBytes` as it arrives.
 */
export function readJUnitStream(
  input: AsyncIterable<Uint8Array | string>,
  options: ReadOptions = {},
): Promise<ParsedReport> {
  return readStream(input, options, 'replace');
}

/** readJUnitStream; with `refuse` (a regular file, read again if need be) see InputLimits.invalidChars. */
async function readStream(
  input: AsyncIterable<Uint8Array | string>,
  options: ReadOptions,
  invalidChars: 'replace' | 'refuse',
): Promise<ParsedReport> {
  const source = options.source ?? '<input>';
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_INPUT_BYTES;
  const reader = new ReportBuilder(options, source);
  const cleaner = new InputCleaner({ source, maxBytes, invalidChars });
  const chunks = input[Symbol.asyncIterator]();
  let bytes = 0;
  try {
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
      bytes += byteLength(next.value);
      reader.write(cleaner.push(next.value));
    }
    reader.write(cleaner.end());
    return reader.end();
  } catch (e) {
    if (invalidChars === 'refuse' && sawInvalidChar(e)) throw e;
    let error = syntaxError(e, source, undefined, reader.openElements());
    // Over the cap is said first, as for a file (stat): read on, at most up to the cap, to know.
    if (error instanceof JUnitParseError && error.code !== 'too-large') {
      for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
        bytes += byteLength(next.value);
        if (bytes > maxBytes) {
          error = tooLarge(source, bytes, maxBytes);
          break;
        }
      }
    }
    throw error;
  } finally {
    await chunks.return?.();
  }
}

const byteLength = (chunk: Uint8Array | string): number =>
  typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;

/**
 * A parser error as JUnitParseError. A cut-off report is the common case (a killed job, a full disk):
 * say so, where it ends and what was open, instead of the parser's message about the end of input.
 */
function syntaxError(e: unknown, source: string, text: string | undefined, open: string[] = []): unknown {
  if (!(e instanceof XmlSyntaxError)) return e;
  const cut = text === undefined ? undefined : findTruncation(text);
  if (cut) return truncated(source, cut);
  const { line, column, reason } = e;
  const ended = text === undefined && /^(?:unclosed tag|unexpected end)/.test(reason) && open.length > 0;
  const what = ended
    ? `the file ends inside ${open
        .reverse()
        .map((n) => `<${n}>`)
        .join(' in ')}: the report is truncated`
    : `not well-formed XML: ${reason}`;
  return new JUnitParseError(
    'malformed',
    `${source}: line ${line}, column ${column}: ${what}`,
    source,
    line,
    column,
  );
}

function truncated(source: string, { line, column, message }: Truncation): JUnitParseError {
  return new JUnitParseError(
    'malformed',
    `${source}: line ${line}, column ${column}: ${message}`,
    source,
    line,
    column,
  );
}

// ---------------------------------------------------------------------------------------------
// Element access (junit-sax.ts keeps only the elements the reader reads, in document order).

const children = (node: El, tag: string): El[] => node.kids.filter((k) => k.name === tag);
// Indexed loops here and on the per-testcase path, no callbacks or iterators: each is one more
// object per testcase until the optimizing compiler has seen the loop, and most of a read is before.
const hasChild = (node: El, tag: string): boolean => {
  const { kids } = node;
  for (let i = 0; i < kids.length; i++) if (kids[i]!.name === tag) return true;
  return false;
};
const hasAnyOf = (node: El, tags: ReadonlySet<string>): boolean => {
  const { kids } = node;
  for (let i = 0; i < kids.length; i++) if (tags.has(kids[i]!.name)) return true;
  return false;
};
/**
 * An attribute value read once and not kept (a time, a count, a keyword): cleaned (cleanAttr), not
 * copied. Attributes are a null-prototype object: `constructor` is not found on it.
 */
const peek = (node: El, name: string): string | undefined => {
  const v = node.attrs[name];
  return typeof v === 'string' ? cleanAttr(v) : undefined;
};
/** An attribute value a result keeps: cleaned, and a copy that does not pin the input chunk (own). */
const attr = (node: El, name: string): string | undefined => {
  const v = node.attrs[name];
  return typeof v === 'string' ? own(cleanAttr(v)) : undefined;
};
const textOf = (node: El): string => node.text;
/** Text of every `tag` child, joined; undefined when there is none or all are blank. */
const childText = (node: El, tag: string): string | undefined => {
  let joined: string | undefined;
  const { kids } = node;
  for (let i = 0; i < kids.length; i++) {
    const k = kids[i]!;
    if (k.name !== tag) continue;
    const t = trimBlankLines(k.text);
    if (t !== '') joined = joined === undefined ? t : `${joined}\n${t}`;
  }
  return joined;
};
const element = (name: string, attrs: Record<string, string>, kids: El[] = []): El => ({
  name,
  attrs,
  kids,
  text: '',
});

/**
 * Turns the tree builder's elements into results as they arrive. Under a `<testsuites>` root each
 * top-level suite is read when it closes and then dropped; a bare `<testsuite>` root is read at the
 * end (its own properties and output may follow its testcases).
 */
class ReportBuilder {
  private readonly folder: RepeatFolder;
  private readonly reader: CaseReader;
  private readonly walker: Walker;
  private readonly tree: JUnitTreeBuilder;
  private top: Scope | undefined;
  private junit = false;
  private visited = 0;

  constructor(
    options: ReadOptions,
    private readonly source: string,
  ) {
    const maxChars = options.maxOutputChars ?? DEFAULT_MAX_OUTPUT_CHARS;
    this.folder = new RepeatFolder(maxChars, options.repeats ?? 'executions');
    this.reader = new CaseReader(maxChars, options.baseDir);
    this.walker = {
      visit: (r) => {
        this.visited++;
        // Every result is visited right after the reader made it.
        this.folder.add(r, this.reader.lastPrefix);
      },
      reader: this.reader,
    };
    this.tree = new JUnitTreeBuilder({
      root: (root) => {
        this.junit = root.name === 'testsuites' || root.name === 'testsuite';
        this.top = {
          suite: attr(root, 'name') ?? '',
          properties: NO_PROPERTIES,
          outputs: [],
          // Playwright writes the project as <testsuite hostname>; everyone else the machine's name, which
          // must not split ids across shards. Playwright's root always has an `id` attribute (maybe empty).
          hostnameIsProject: root.name === 'testsuites' && peek(root, 'id') !== undefined,
        };
      },
      child: (el, root) => this.child(el, root),
    });
  }

  write(text: string): void {
    this.tree.write(text);
  }

  openElements(): string[] {
    return this.tree.openElements();
  }

  end(): ParsedReport {
    const root = this.tree.end();
    const { source } = this;
    if (!this.junit) {
      throw new JUnitParseError(
        'not-junit',
        `${source}: root element is <${root.name}>, expected <testsuites> or <testsuite>`,
        source,
      );
    }
    if (root.name === 'testsuite') {
      const top = this.top!;
      top.properties = Object.freeze(readProperties(root));
      walkSuite(root, top, this.walker);
    }
    const results = this.folder.results();
    return { source, results, counts: countStatuses(results), warnings: this.folder.warnings };
  }

  private child(el: El, root: El): void {
    if (!this.junit) return;
    if (root.name === 'testsuite') {
      root.kids.push(el);
      return;
    }
    const top = this.top!;
    // Some producers put testcases straight under <testsuites>; they belong to the root's name.
    if (el.name === 'testcase') this.walker.visit(this.reader.read(el, top));
    else if (el.name === 'testsuite') walkSuite(el, top, this.walker);
    else if (el.name === 'properties') {
      // Root properties apply to every result, also to those read before them.
      root.kids.push(el);
      top.properties = Object.freeze(readProperties(root));
      if (this.visited > 0) this.folder.inherit(top.properties);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Suites and cases.

/** What a testcase inherits from its enclosing suites. */
interface Scope {
  suite: string;
  file?: string | undefined;
  /** Frozen: results without properties of their own share it. */
  properties: Readonly<Record<string, string>>;
  /** Suite-level output, outermost first; attached to failing cases only. */
  outputs: { suite: string; stream: 'system-out' | 'system-err'; text: string }[];
  hostnameIsProject: boolean;
  project?: string | undefined;
}

interface Walker {
  visit: (r: TestResult) => void;
  reader: CaseReader;
}

/** A non-negative integer attribute (suite counts), else undefined. */
const countAttr = (node: El, name: string): number | undefined => {
  const v = peek(node, name)?.trim();
  return v !== undefined && /^\d{1,9}$/.test(v) ? Number(v) : undefined;
};

/**
 * Reads one suite and its nested suites; returns how many failing results (testcases, suite-level
 * failures) the subtree showed, so that each suite can check its own `failures`/`errors` counts.
 */
function walkSuite(node: El, parent: Scope, walker: Walker): number {
  const { reader } = walker;
  const suite = attr(node, 'name') ?? parent.suite;
  const outputs = [...parent.outputs];
  for (const stream of ['system-out', 'system-err'] as const) {
    const text = childText(node, stream);
    if (text !== undefined) outputs.push({ suite, stream, text: reader.clean(text) });
  }
  const scope: Scope = {
    suite,
    file: reader.shared(node, 'file') ?? parent.file,
    properties: hasChild(node, 'properties')
      ? Object.freeze({ ...parent.properties, ...readProperties(node) })
      : parent.properties,
    outputs,
    hostnameIsProject: parent.hostnameIsProject,
    project: parent.hostnameIsProject ? reader.shared(node, 'hostname') || parent.project : undefined,
  };
  // Failure and error elements, not failing testcases: a pytest failure plus a teardown error in one
  // testcase counts 2 in pytest's `failures`+`errors`, and over-counting can only hide nothing.
  let shown = 0;
  // One loop over the kids, in document order per kind as before: testcases first, then nested suites.
  let nested = false;
  const { kids } = node;
  for (let i = 0; i < kids.length; i++) {
    const tc = kids[i]!;
    if (tc.name !== 'testcase') {
      if (tc.name === 'testsuite') nested = true;
      continue;
    }
    for (let j = 0; j < tc.kids.length; j++) {
      const k = tc.kids[j]!.name;
      if (k === 'failure' || k === 'error') shown++;
    }
    walker.visit(reader.read(tc, scope));
  }
  if (nested) for (const s of children(node, 'testsuite')) shown += walkSuite(s, scope, walker);
  const suiteLevel = reader.suiteLevel(node, scope, shown);
  if (suiteLevel) {
    walker.visit(suiteLevel);
    shown += Math.max(1, (countAttr(node, 'failures') ?? 0) + (countAttr(node, 'errors') ?? 0) - shown);
  }
  return shown;
}

/** `<properties><property name value/>` (or the value as text). Repeated names are joined by newlines. */
function readProperties(node: El): Record<string, string> {
  const props = new Map<string, string>();
  for (const group of children(node, 'properties')) {
    for (const p of children(group, 'property')) {
      const name = attr(p, 'name');
      if (name === undefined) continue;
      const value = attr(p, 'value') ?? own(trimBlankLines(textOf(p)));
      const prev = props.get(name);
      props.set(name, prev === undefined ? value : `${prev}\n${value}`);
    }
  }
  // fromEntries defines own properties, so a property named "__proto__" stays a plain key.
  return Object.fromEntries(props);
}

/** Outcome elements in precedence order: a failure outranks a (teardown) error, which outranks a skip. */
const OUTCOMES: readonly [tag: string, status: TestStatus][] = [
  ['failure', 'failed'],
  ['error', 'error'],
  ['skipped', 'skipped'],
];

/** `result`/`status` attribute values that mean "not run" when a testcase has no outcome element. */
const NOT_RUN = /^(?:skipped|notrun|disabled|suppressed)$/i;

const OUTCOME_TAGS: ReadonlySet<string> = new Set(OUTCOMES.map(([tag]) => tag));
/** The outcomes of a testcase without any (most): one frozen array, not one per testcase. */
const NO_OUTCOMES = Object.freeze([]) as unknown as { tag: string; status: TestStatus; el: El }[];
const EVIDENCE_KINDS: ReadonlySet<string> = new Set<RetryEvidenceKind>([
  'flakyFailure',
  'flakyError',
  'rerunFailure',
  'rerunError',
]);

/** What an id prefix was made of besides the classname (see CaseReader.idPrefix). */
interface IdScope {
  suite: string;
  file: string | undefined;
  project: string | undefined;
  prefix: string;
}

class CaseReader {
  /**
   * Failure texts repeat: one broken service gives hundreds of tests the same message, stack trace and
   * output. Each distinct text is kept once.
   */
  private readonly texts = new Interner();
  /**
   * Attribute values that repeat from testcase to testcase (one classname for a whole class, one file,
   * one failure type): each distinct value is kept once, so 100k results of 50 classes hold 50 strings.
   */
  private readonly values = new Interner();

  constructor(
    private readonly maxChars: number,
    private readonly baseDir: string | undefined,
  ) {}

  /** An attribute value that repeats across results (classname, file, type, hostname), interned. */
  shared(node: El, name: string): string | undefined {
    const v = node.attrs[name];
    if (typeof v !== 'string') return undefined;
    // Consecutive testcases mostly share their classname: the same raw value needs no cleaning again.
    if (v === this.lastRaw) return this.lastShared;
    this.lastRaw = v;
    this.lastShared = this.values.intern(cleanAttr(v));
    return this.lastShared;
  }
  private lastRaw = '';
  private lastShared = '';

  /** Output-like text: ANSI sequences stripped, capped at maxOutputChars. */
  clean(s: string): string {
    // Copied (see own) only when the text is new: a trace repeated by 500 failures is copied once.
    return this.texts.intern(truncateMiddle(cleanParsedText(s), this.maxChars));
  }

  private cleanOpt(s: string | undefined): string | undefined {
    return s === undefined ? undefined : this.clean(s);
  }

  /**
   * A failure outside any testcase: `<error>`/`<failure>` directly in the suite (Ant/JUnit 4 when a
   * class fails to load), or suite `failures`+`errors` counts above what its testcases (`shown`)
   * failed. Either becomes one failing `<init>` result of the suite, never a silent pass.
   */
  suiteLevel(node: El, scope: Scope, shown: number): TestResult | undefined {
    const ids = { name: SUITE_LEVEL_NAME, classname: scope.suite };
    const own = node.kids.filter((k) => k.name === 'failure' || k.name === 'error');
    if (own.length > 0) {
      // Only the outcome elements: the suite's output and properties are in the scope already.
      return this.read(element('testcase', ids, own), scope);
    }
    const declared = (countAttr(node, 'failures') ?? 0) + (countAttr(node, 'errors') ?? 0);
    if (declared <= shown) return undefined;
    const missing = declared - shown;
    const message = `suite "${scope.suite}" reports ${missing} failure(s) that no testcase shows`;
    const el = element('error', { message, type: 'dozhim.SuiteCountMismatch' });
    return this.read(element('testcase', ids, [el]), scope);
  }

  /**
   * Id prefixes by classname (an interned string, so its hash is computed once), each with the rest
   * of the scope it was made for. Reports interleave classes (pytest-xdist, parametrized suites),
   * so one per class, not only the last one. Bounded like the Interner.
   */
  private readonly prefixes = new Map<string, IdScope>();
  private last: IdScope = { suite: '', file: undefined, project: undefined, prefix: '' };

  /** The id prefix of the result read last (its id is this followed by its name). */
  get lastPrefix(): string {
    return this.last.prefix;
  }

  /**
   * `testId(parts)` without the name: testId is `<scope>::<name>`, or the bare name without a scope,
   * so the id is this prefix followed by the name. Computed once per class of a suite.
   */
  private idPrefix(
    suite: string,
    classname: string,
    file: string | undefined,
    project: string | undefined,
  ): string {
    let l = this.prefixes.get(classname);
    if (l === undefined || l.suite !== suite || l.file !== file || l.project !== project) {
      l = { suite, file, project, prefix: testId({ suite, classname, name: '', file, project }) };
      if (this.prefixes.size >= 4096) this.prefixes.clear();
      this.prefixes.set(classname, l);
    }
    this.last = l;
    return l.prefix;
  }

  read(tc: El, scope: Scope): TestResult {
    // PHPUnit writes `class`, everyone else `classname`.
    const classname = this.shared(tc, 'classname') ?? this.shared(tc, 'class') ?? '';
    const file = relativeFile(this.shared(tc, 'file') ?? scope.file, this.baseDir);
    const project = scope.project;
    const prefix = this.idPrefix(scope.suite, classname, file, project);
    // One flat string for the id (join copies, where `+` would make a rope of two), and the name a
    // slice of it: the id is the copy that frees the input chunk (see own), so the name costs no
    // copy of its own, and a result holds two strings instead of three. Without a prefix, join would
    // hand back the name itself, the input's slice: it is copied.
    const raw = peek(tc, 'name') ?? '';
    const id = prefix === '' ? own(raw) : [prefix, raw].join('');
    const name = prefix === '' ? id : id.slice(prefix.length);
    const result: TestResult = {
      id,
      suite: scope.suite,
      classname,
      name,
      status: 'passed',
      durationMs: parseDurationMs(peek(tc, 'time')),
      properties: hasChild(tc, 'properties')
        ? { ...scope.properties, ...readProperties(tc) }
        : (scope.properties as Record<string, string>),
      retries: NO_RETRIES,
    };
    if (file !== undefined) result.file = file;
    if (project) result.project = project;
    if (Object.hasOwn(result.properties, EXECUTIONS_PROPERTY)) {
      // Never on the shared object: this result gets its own copy without the property.
      result.properties = { ...result.properties };
      const executions = takeExecutions(result.properties);
      if (executions !== undefined) result.executions = executions;
    }
    const line = parseLine(peek(tc, 'line'));
    if (line !== undefined) result.line = line;

    // Most testcases pass: skip building the lists when there is nothing to list.
    let outcomes = NO_OUTCOMES;
    if (hasAnyOf(tc, OUTCOME_TAGS)) {
      outcomes = [];
      for (const [tag, status] of OUTCOMES)
        for (const el of tc.kids) if (el.name === tag) outcomes.push({ tag, status, el });
    }
    let stdout = childText(tc, 'system-out');
    let stderr = childText(tc, 'system-err');
    const primary = outcomes[0];
    const notRun = primary ? undefined : (peek(tc, 'result') ?? peek(tc, 'status'));
    if (notRun !== undefined && NOT_RUN.test(notRun)) {
      // googletest marks disabled tests `status="notrun" result="suppressed"`, without an element.
      result.status = 'skipped';
    }
    if (primary) {
      result.status = primary.status;
      const body = trimBlankLines(textOf(primary.el));
      const message = attr(primary.el, 'message') || firstLine(body);
      const type = this.shared(primary.el, 'type');
      // Secondary outcomes (pytest: a failure plus a teardown error) are kept in the details.
      const sections = [body];
      for (const o of outcomes.slice(1)) {
        const m = peek(o.el, 'message');
        sections.push(`[${o.tag}${m ? `: ${m}` : ''}]\n${trimBlankLines(textOf(o.el))}`.trimEnd());
      }
      const details = sections.filter((s) => s !== '').join('\n\n');
      if (message !== undefined && message !== '') result.message = this.clean(message);
      if (type !== undefined && type !== '') result.type = type;
      if (details !== '') result.details = this.clean(details);
    }
    if (primary?.status === 'failed' || primary?.status === 'error') {
      // Suite-level output (Gradle puts all test output there by default) only helps where a test failed.
      for (const o of scope.outputs) {
        const block = `[suite ${o.suite} ${o.stream}]\n${o.text}`;
        if (o.stream === 'system-out') stdout = stdout === undefined ? block : `${stdout}\n${block}`;
        else stderr = stderr === undefined ? block : `${stderr}\n${block}`;
      }
    }
    if (stdout !== undefined) result.stdout = this.clean(stdout);
    if (stderr !== undefined) result.stderr = this.clean(stderr);

    // Document order says which try came first.
    if (hasAnyOf(tc, EVIDENCE_KINDS)) {
      const evidence: RetryEvidence[] = [];
      for (const el of tc.kids)
        if (EVIDENCE_KINDS.has(el.name)) evidence.push(this.evidence(el.name as RetryEvidenceKind, el));
      result.retries = normalizeEvidence(evidence, result.status);
    }
    return result;
  }

  private evidence(kind: RetryEvidenceKind, el: El): RetryEvidence {
    // Surefire nests <stackTrace>; Gradle and others may write the trace as the element's text.
    const details = childText(el, 'stackTrace') ?? (trimBlankLines(textOf(el)) || undefined);
    const ev: RetryEvidence = { kind };
    const message = attr(el, 'message') || firstLine(details);
    const type = this.shared(el, 'type');
    const time = peek(el, 'time');
    if (message) ev.message = this.clean(message);
    if (type) ev.type = type;
    if (details) ev.details = this.clean(details);
    const stdout = this.cleanOpt(childText(el, 'system-out'));
    const stderr = this.cleanOpt(childText(el, 'system-err'));
    if (stdout !== undefined) ev.stdout = stdout;
    if (stderr !== undefined) ev.stderr = stderr;
    if (time !== undefined) ev.durationMs = parseDurationMs(time);
    return ev;
  }
}

/** `dozhim.executions` (written by the writer) back into `executions`; removed from the properties. */
function takeExecutions(properties: Record<string, string>): number | undefined {
  const raw = properties[EXECUTIONS_PROPERTY];
  if (raw === undefined) return undefined;
  delete properties[EXECUTIONS_PROPERTY];
  return /^\d{1,9}$/.test(raw) && Number(raw) > 1 ? Number(raw) : undefined;
}

/**
 * The same id more than once in one report. First-seen order is kept. With `retries`, the producer
 * retried it inside the run: one result with the last occurrence's status and duration; its
 * message/details/output are those of the failed try a report would show (see executions.ts), the
 * other failed tries are retry evidence. With `executions` (default), see foldExecutions.
 */
class RepeatFolder {
  constructor(
    private readonly maxChars: number,
    private readonly rule: RepeatRule,
  ) {}
  readonly warnings: string[] = [];
  /**
   * Ids seen, keyed by the id split at its first `::` (scope → names), and ids without one. Not a
   * Set of whole ids: an id is the scope prefix (shared by a run of testcases) concatenated with the
   * name, and hashing it means flattening and hashing ~100 characters per result, where a name is
   * short and the prefix's set is found once per run of testcases. Splitting at the first `::` (as
   * splitTestId does) makes equal ids equal keys however they were built (`a:` + `::` + `b` and
   * `a` + `::` + `:b` are both `a:::b`), and distinct ids distinct keys.
   */
  private readonly scopes = new Map<string, Set<string>>();
  private readonly bare = new Set<string>();
  /** Where the results of each prefix seen go (the reader hands out one string per prefix). */
  private readonly byPrefix = new Map<string, { names: Set<string>; lead: string }>();
  /** The last prefix added, and where its results' keys go. */
  private lastPrefix: string | undefined;
  private lastSet: Set<string> = this.bare;
  /** What a key's name part starts with before the result's name: '' or ':' (see keyOf). */
  private lastLead = '';
  /** First results in first-seen order. */
  private readonly order: TestResult[] = [];
  /**
   * Id → first result, built at the first repeated id: most reports have none.
   */
  private first: Map<string, TestResult> | undefined;
  /** Only ids seen more than once, all their tries in document order. */
  private readonly repeated = new Map<string, TestResult[]>();

  /** `prefix`: the id without the name (`r.id === prefix + r.name`), see CaseReader.idPrefix. */
  add(r: TestResult, prefix: string): void {
    let names: Set<string>;
    let key: string;
    if (prefix === '') {
      // No scope: the name is the id, and a `::` in it splits it like any id.
      const sep = r.name.indexOf(ID_SEPARATOR);
      names = sep === -1 ? this.bare : this.scopeSet(r.name.slice(0, sep));
      key = sep === -1 ? r.name : r.name.slice(sep + ID_SEPARATOR.length);
    } else {
      if (prefix !== this.lastPrefix) {
        let keys = this.byPrefix.get(prefix);
        if (keys === undefined) {
          // A scope has no `::` (identity.ts) but may end in `:`: the first `::` then starts one earlier.
          const sep = prefix.indexOf(ID_SEPARATOR);
          keys = {
            names: this.scopeSet(prefix.slice(0, sep)),
            lead: prefix.slice(sep + ID_SEPARATOR.length),
          };
          this.byPrefix.set(prefix, keys);
        }
        this.lastSet = keys.names;
        this.lastLead = keys.lead;
        this.lastPrefix = prefix;
      }
      names = this.lastSet;
      key = this.lastLead === '' ? r.name : this.lastLead + r.name;
    }
    const size = names.size;
    names.add(key);
    if (names.size !== size) {
      this.order.push(r);
      this.first?.set(r.id, r);
      return;
    }
    this.first ??= new Map(this.order.map((x) => [x.id, x]));
    const prev = this.first.get(r.id)!;
    if (isPhaseError(r)) mergePhaseError(this.repeated.get(r.id)?.at(-1) ?? prev, r, this.maxChars);
    else {
      const tries = this.repeated.get(r.id);
      if (tries) tries.push(r);
      else this.repeated.set(r.id, [prev, r]);
    }
  }

  private scopeSet(scope: string): Set<string> {
    let names = this.scopes.get(scope);
    if (names === undefined) {
      names = new Set();
      this.scopes.set(scope, names);
    }
    return names;
  }

  /** Properties of an enclosing scope that arrived after some results: they come first (lowest rank). */
  inherit(properties: Readonly<Record<string, string>>): void {
    // Results sharing one properties object go on sharing one.
    const merged = new Map<Record<string, string>, Record<string, string>>();
    const give = (r: TestResult) => {
      let m = merged.get(r.properties);
      if (m === undefined) {
        m = Object.freeze({ ...properties, ...r.properties });
        merged.set(r.properties, m);
      }
      r.properties = m;
    };
    for (const r of this.order) give(r);
    for (const tries of this.repeated.values()) for (const r of tries.slice(1)) give(r);
  }

  results(): TestResult[] {
    // Most reports repeat no id: nothing to fold, and no id to look up per result.
    if (this.repeated.size === 0) return this.order;
    return this.order.map((r) => {
      const tries = this.repeated.get(r.id);
      if (!tries) return r;
      if (this.rule === 'retries') return foldTries(tries);
      const folded = foldExecutions(tries);
      this.warnings.push(
        `${tries.length} results share the id ${JSON.stringify(r.id)}; treated as one test that fails if any fails` +
          ` (now ${folded.status}; pass repeats: 'retries' if this producer writes retries as repeated testcases)`,
      );
      return folded;
    });
  }
}

/**
 * Distinct executions of one id (not marked as retries): the most severe status stands, so any
 * failure fails the test and it can never look flaky from this alone. Message, details and output
 * are those of the first execution with that status; durations add up; retry evidence the producer
 * marked on any execution is kept (kinds following the verdict); `executions` counts them.
 */
function foldExecutions(tries: readonly TestResult[]): TestResult {
  let shown = tries[0]!;
  for (const t of tries) if (STATUS_SEVERITY[t.status] > STATUS_SEVERITY[shown.status]) shown = t;
  const properties = Object.fromEntries(tries.flatMap((t) => Object.entries(t.properties)));
  const result: TestResult = {
    ...shown,
    properties,
    durationMs: tries.reduce((sum, t) => sum + t.durationMs, 0),
    retries: normalizeEvidence(
      tries.flatMap((t) => t.retries),
      shown.status,
    ),
    executions: tries.reduce((sum, t) => sum + (t.executions ?? 1), 0),
  };
  return result;
}

/**
 * pytest reports a setup/teardown error as a second testcase with the same name, written right after
 * the call phase's one. That is the same execution, not a retry: merge it into the latest try, as the
 * reader does for a failure plus an error inside one testcase (the failure keeps precedence).
 */
const isPhaseError = (r: TestResult): boolean =>
  r.status === 'error' && /^failed on (?:setup|teardown) with /.test(r.message ?? '');

/** `a` + blank line + `b` within `max` characters; when too long, each keeps half, so both headers stay. */
function joinCapped(a: string | undefined, b: string, max: number): string {
  if (!a) return truncateMiddle(b, max);
  if (a.length + b.length + 2 <= max) return `${a}\n\n${b}`;
  const half = Math.floor((max - 2) / 2);
  return `${truncateMiddle(a, half)}\n\n${truncateMiddle(b, max - 2 - half)}`;
}

function mergePhaseError(target: TestResult, phase: TestResult, maxChars: number): void {
  if (target.status === 'failed' || target.status === 'error') {
    const section = `[error: ${phase.message}]${phase.details ? `\n${phase.details}` : ''}`;
    target.details = joinCapped(target.details, section, maxChars);
    return;
  }
  // The call passed (or was skipped) and only the phase broke: the test is in error.
  target.status = 'error';
  for (const key of ['message', 'type', 'details'] as const) {
    if (phase[key] === undefined) delete target[key];
    else target[key] = phase[key];
  }
}

function foldTries(tries: readonly TestResult[]): TestResult {
  const last = tries[tries.length - 1]!;
  // Producers may put properties (Playwright annotations) on one try only: keep all, the last winning.
  const properties = Object.fromEntries(tries.flatMap((t) => Object.entries(t.properties)));
  const executions = tries.flatMap(executionsOf);
  const result: TestResult = { ...last, properties };
  const p = primaryIndex(executions, last.status);
  if (p >= 0) {
    const shown = executions.splice(p, 1)[0]!;
    for (const key of ['message', 'type', 'details', 'stdout', 'stderr'] as const) {
      if (shown[key] === undefined) delete result[key];
      else result[key] = shown[key];
    }
  }
  result.retries = normalizeEvidence(executions, last.status);
  return result;
}
