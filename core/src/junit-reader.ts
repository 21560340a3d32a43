/**
 * JUnit XML reader: normalizes the reports of Surefire/Gradle, pytest, jest-junit, vitest, mocha,
 * Playwright, gotestsum/go-junit-report and similar producers into TestResult (model.ts).
 * The rules (precedence, output, retries, limits) are documented in core/README.md.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { EntityDecoderOptions } from 'fast-xml-parser';
import { executionsOf, normalizeEvidence, primaryIndex } from './executions.js';
import { XMLParser } from './fxp.js';
import { testId } from './identity.js';
import { JUnitParseError } from './junit-errors.js';
import { firstLine, parseDurationMs, parseLine, relativeFile, trimBlankLines } from './junit-values.js';
import type { RetryEvidence, RetryEvidenceKind, StatusCounts, TestResult, TestStatus } from './model.js';
import { STATUS_SEVERITY } from './state.js';
import { prepareXml, tooLarge } from './xml-input.js';
import { cleanParsedText, decodeXmlEntities, truncateMiddle } from './xml-text.js';

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

export function countStatuses(results: readonly TestResult[]): StatusCounts {
  const c: StatusCounts = { total: 0, passed: 0, failed: 0, error: 0, skipped: 0 };
  for (const r of results) {
    c.total++;
    c[r.status]++;
  }
  return c;
}

/** Parses one JUnit XML document. Throws JUnitParseError for anything that is not a readable report. */
export function parseJUnit(xml: string | Uint8Array, options: ReadOptions = {}): ParsedReport {
  const source = options.source ?? '<input>';
  const maxChars = options.maxOutputChars ?? DEFAULT_MAX_OUTPUT_CHARS;
  const text = prepareXml(xml, { source, maxBytes: options.maxBytes ?? DEFAULT_MAX_INPUT_BYTES });
  let doc: XNode;
  try {
    doc = newParser().parse(text) as XNode;
  } catch (e) {
    // The validator passed, so this is a parser limit such as nesting deeper than 100 elements.
    throw new JUnitParseError('malformed', `${source}: ${(e as Error).message}`, source);
  }
  const rootNames = Object.keys(doc).filter((k) => k !== TEXT);
  const rootName = rootNames[0];
  const roots = rootName === undefined ? [] : children(doc, rootName);
  if (rootNames.length > 1 || roots.length > 1) {
    throw new JUnitParseError('malformed', `${source}: more than one root element`, source);
  }
  const root = roots[0];
  if (!root || (rootName !== 'testsuites' && rootName !== 'testsuite')) {
    throw new JUnitParseError(
      'not-junit',
      `${source}: root element is <${rootName ?? 'none'}>, expected <testsuites> or <testsuite>`,
      source,
    );
  }
  const folder = new RepeatFolder(maxChars, options.repeats ?? 'executions');
  const reader = new CaseReader(maxChars, options.baseDir);
  const top: Scope = {
    suite: attr(root, 'name') ?? '',
    properties: readProperties(root),
    outputs: [],
    // Playwright writes the project as <testsuite hostname>; everyone else the machine's name, which
    // must not split ids across shards. Playwright's root always has an `id` attribute (maybe empty).
    hostnameIsProject: rootName === 'testsuites' && attr(root, 'id') !== undefined,
  };
  const walker: Walker = { visit: (r) => folder.add(r), reader };
  if (rootName === 'testsuite') walkSuite(root, top, walker);
  else {
    // Some producers put testcases straight under <testsuites>; they belong to the root's name.
    for (const tc of children(root, 'testcase')) walker.visit(reader.read(tc, top));
    for (const s of children(root, 'testsuite')) walkSuite(s, top, walker);
  }
  const results = folder.results();
  return { source, results, counts: countStatuses(results), warnings: folder.warnings };
}

/** Reads a report file; the size is checked with stat before reading so huge files fail fast. */
export async function readJUnitFile(path: string, options: ReadOptions = {}): Promise<ParsedReport> {
  const source = options.source ?? path;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_INPUT_BYTES;
  const info = await stat(path);
  if (info.size > maxBytes) throw tooLarge(source, info.size, maxBytes);
  const bytes = info.isFile() ? await readFile(path) : await readAtMost(path, maxBytes, source);
  return parseJUnit(bytes, { ...options, source, maxBytes });
}

/**
 * Pipes, process substitution and devices report size 0 and may never end (`/dev/zero`): read them
 * only up to the cap.
 */
async function readAtMost(path: string, maxBytes: number, source: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of createReadStream(path)) {
    total += (chunk as Buffer).length;
    if (total > maxBytes) throw tooLarge(source, total, maxBytes);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

// ---------------------------------------------------------------------------------------------
// Parsed tree access. Every element is an array (isArray) and every element has a text node
// (alwaysCreateTextNode), so the walk needs no shape guessing.

type XNode = { [key: string]: XNode[] | string | undefined };

const TEXT = '#text';
const ATTR = '@_';
// Typed as the `Symbol` wrapper object by fast-xml-parser; it is a primitive symbol at run time.
const META = XMLParser.getMetaDataSymbol() as unknown as symbol;

/** Offset of an element in the document (captureMetaData), to restore order across tag names. */
const startIndex = (node: XNode): number =>
  (node as unknown as Record<symbol, { startIndex?: number } | undefined>)[META]?.startIndex ?? 0;

const children = (node: XNode, tag: string): XNode[] => {
  const v = node[tag];
  return Array.isArray(v) ? v : [];
};
/** An attribute value, entity-decoded, with ANSI sequences and XML-invalid characters cleaned. */
const attr = (node: XNode, name: string): string | undefined => {
  const v = node[ATTR + name];
  return typeof v === 'string' ? cleanParsedText(v) : undefined;
};
const textOf = (node: XNode): string => {
  const v = node[TEXT];
  return typeof v === 'string' ? v : '';
};
/** Text of every `tag` child, joined; undefined when there is none or all are blank. */
const childText = (node: XNode, tag: string): string | undefined => {
  const parts = children(node, tag)
    .map((c) => trimBlankLines(textOf(c)))
    .filter((t) => t !== '');
  return parts.length > 0 ? parts.join('\n') : undefined;
};

/**
 * Entities: only the five XML ones and numeric references. fast-xml-parser 5 decodes numeric
 * references only together with HTML entities (`htmlEntities`), which XML must not know, so the
 * reader brings its own decoder. DOCTYPEs are rejected before parsing; if one ever got through,
 * its entities would be refused here too.
 */
const XML_ONLY_ENTITIES: EntityDecoderOptions = {
  decode: decodeXmlEntities,
  reset: () => {},
  setXmlVersion: () => {},
  setExternalEntities: () => {},
  addInputEntities: (entities) => {
    if (Object.keys(entities).length > 0) throw new Error('entity declarations are not allowed');
  },
};

const newParser = () =>
  new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: ATTR,
    parseAttributeValue: false,
    // Keep "123" and "1e5" as strings: they are test names, not numbers.
    parseTagValue: false,
    // Output and stack traces keep their indentation; blank edges are trimmed per field later.
    trimValues: false,
    alwaysCreateTextNode: true,
    processEntities: true,
    htmlEntities: false,
    entityDecoder: XML_ONLY_ENTITIES,
    ignoreDeclaration: true,
    ignorePiTags: true,
    isArray: (_name, _path, _leaf, isAttribute) => !isAttribute,
    captureMetaData: true,
    jPath: false,
  });

// ---------------------------------------------------------------------------------------------
// Suites and cases.

/** What a testcase inherits from its enclosing suites. */
interface Scope {
  suite: string;
  file?: string | undefined;
  properties: Record<string, string>;
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
const countAttr = (node: XNode, name: string): number | undefined => {
  const v = attr(node, name)?.trim();
  return v !== undefined && /^\d{1,9}$/.test(v) ? Number(v) : undefined;
};

/**
 * Reads one suite and its nested suites; returns how many failing results (testcases, suite-level
 * failures) the subtree showed, so that each suite can check its own `failures`/`errors` counts.
 */
function walkSuite(node: XNode, parent: Scope, walker: Walker): number {
  const { reader } = walker;
  const suite = attr(node, 'name') ?? parent.suite;
  const outputs = [...parent.outputs];
  for (const stream of ['system-out', 'system-err'] as const) {
    const text = childText(node, stream);
    if (text !== undefined) outputs.push({ suite, stream, text: reader.clean(text) });
  }
  const scope: Scope = {
    suite,
    file: attr(node, 'file') ?? parent.file,
    properties: { ...parent.properties, ...readProperties(node) },
    outputs,
    hostnameIsProject: parent.hostnameIsProject,
    project: parent.hostnameIsProject ? attr(node, 'hostname') || parent.project : undefined,
  };
  // Failure and error elements, not failing testcases: a pytest failure plus a teardown error in one
  // testcase counts 2 in pytest's `failures`+`errors`, and over-counting can only hide nothing.
  let shown = 0;
  for (const tc of children(node, 'testcase')) {
    shown += children(tc, 'failure').length + children(tc, 'error').length;
    walker.visit(reader.read(tc, scope));
  }
  for (const s of children(node, 'testsuite')) shown += walkSuite(s, scope, walker);
  const suiteLevel = reader.suiteLevel(node, scope, shown);
  if (suiteLevel) {
    walker.visit(suiteLevel);
    shown += Math.max(1, (countAttr(node, 'failures') ?? 0) + (countAttr(node, 'errors') ?? 0) - shown);
  }
  return shown;
}

/** `<properties><property name value/>` (or the value as text). Repeated names are joined by newlines. */
function readProperties(node: XNode): Record<string, string> {
  const props = new Map<string, string>();
  for (const group of children(node, 'properties')) {
    for (const p of children(group, 'property')) {
      const name = attr(p, 'name');
      if (name === undefined) continue;
      const value = attr(p, 'value') ?? trimBlankLines(textOf(p));
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

const EVIDENCE_TAGS: readonly RetryEvidenceKind[] = [
  'flakyFailure',
  'flakyError',
  'rerunFailure',
  'rerunError',
];

class CaseReader {
  constructor(
    private readonly maxChars: number,
    private readonly baseDir: string | undefined,
  ) {}

  /** Output-like text: ANSI sequences stripped, capped at maxOutputChars. */
  clean(s: string): string {
    return truncateMiddle(cleanParsedText(s), this.maxChars);
  }

  private cleanOpt(s: string | undefined): string | undefined {
    return s === undefined ? undefined : this.clean(s);
  }

  /**
   * A failure outside any testcase: `<error>`/`<failure>` directly in the suite (Ant/JUnit 4 when a
   * class fails to load), or suite `failures`+`errors` counts above what its testcases (`shown`)
   * failed. Either becomes one failing `<init>` result of the suite, never a silent pass.
   */
  suiteLevel(node: XNode, scope: Scope, shown: number): TestResult | undefined {
    const ids = { [`${ATTR}name`]: SUITE_LEVEL_NAME, [`${ATTR}classname`]: scope.suite };
    if (node.failure !== undefined || node.error !== undefined) {
      // Only the outcome elements: the suite's output and properties are in the scope already.
      const own: XNode = { ...ids, failure: node.failure, error: node.error, [TEXT]: '' };
      return this.read(own, scope);
    }
    const declared = (countAttr(node, 'failures') ?? 0) + (countAttr(node, 'errors') ?? 0);
    if (declared <= shown) return undefined;
    const missing = declared - shown;
    const message = `suite "${scope.suite}" reports ${missing} failure(s) that no testcase shows`;
    const el: XNode = {
      [`${ATTR}message`]: message,
      [`${ATTR}type`]: 'dozhim.SuiteCountMismatch',
      [TEXT]: '',
    };
    return this.read({ ...ids, error: [el], [TEXT]: '' }, scope);
  }

  read(tc: XNode, scope: Scope): TestResult {
    const name = attr(tc, 'name') ?? '';
    // PHPUnit writes `class`, everyone else `classname`.
    const classname = attr(tc, 'classname') ?? attr(tc, 'class') ?? '';
    const file = relativeFile(attr(tc, 'file') ?? scope.file, this.baseDir);
    const project = scope.project;
    const result: TestResult = {
      id: testId({ suite: scope.suite, classname, name, file, project }),
      suite: scope.suite,
      classname,
      name,
      status: 'passed',
      durationMs: parseDurationMs(attr(tc, 'time')),
      properties:
        tc.properties === undefined
          ? { ...scope.properties }
          : { ...scope.properties, ...readProperties(tc) },
      retries: [],
    };
    if (file !== undefined) result.file = file;
    if (project) result.project = project;
    const executions = takeExecutions(result.properties);
    if (executions !== undefined) result.executions = executions;
    const line = parseLine(attr(tc, 'line'));
    if (line !== undefined) result.line = line;

    // Most testcases pass: skip building the lists when there is nothing to list.
    const outcomes =
      tc.failure === undefined && tc.error === undefined && tc.skipped === undefined
        ? []
        : OUTCOMES.flatMap(([tag, status]) => children(tc, tag).map((el) => ({ tag, status, el })));
    let stdout = childText(tc, 'system-out');
    let stderr = childText(tc, 'system-err');
    const primary = outcomes[0];
    if (!primary && NOT_RUN.test(attr(tc, 'result') ?? attr(tc, 'status') ?? '')) {
      // googletest marks disabled tests `status="notrun" result="suppressed"`, without an element.
      result.status = 'skipped';
    }
    if (primary) {
      result.status = primary.status;
      const body = trimBlankLines(textOf(primary.el));
      const message = attr(primary.el, 'message') || firstLine(body);
      const type = attr(primary.el, 'type');
      // Secondary outcomes (pytest: a failure plus a teardown error) are kept in the details.
      const sections = [body];
      for (const o of outcomes.slice(1)) {
        const m = attr(o.el, 'message');
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

    const kinds = EVIDENCE_TAGS.filter((kind) => tc[kind] !== undefined);
    if (kinds.length > 0) {
      const evidence = kinds.flatMap((kind) => children(tc, kind).map((el) => ({ kind, el })));
      // Each kind sits in its own array: document order says which try came first.
      if (kinds.length > 1) evidence.sort((a, b) => startIndex(a.el) - startIndex(b.el));
      result.retries = normalizeEvidence(
        evidence.map(({ kind, el }) => this.evidence(kind, el)),
        result.status,
      );
    }
    return result;
  }

  private evidence(kind: RetryEvidenceKind, el: XNode): RetryEvidence {
    // Surefire nests <stackTrace>; Gradle and others may write the trace as the element's text.
    const details = childText(el, 'stackTrace') ?? (trimBlankLines(textOf(el)) || undefined);
    const ev: RetryEvidence = { kind };
    const message = attr(el, 'message') || firstLine(details);
    const type = attr(el, 'type');
    const time = attr(el, 'time');
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
  private readonly first = new Map<string, TestResult>();
  /** Only ids seen more than once, all their tries in document order. */
  private readonly repeated = new Map<string, TestResult[]>();

  add(r: TestResult): void {
    const prev = this.first.get(r.id);
    if (prev === undefined) this.first.set(r.id, r);
    else if (isPhaseError(r)) mergePhaseError(this.repeated.get(r.id)?.at(-1) ?? prev, r, this.maxChars);
    else {
      const tries = this.repeated.get(r.id);
      if (tries) tries.push(r);
      else this.repeated.set(r.id, [prev, r]);
    }
  }

  results(): TestResult[] {
    return Array.from(this.first.values(), (r) => {
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
