/**
 * Merged JUnit report for all attempts of a run, in the Surefire rerun convention that Jenkins'
 * JUnit plugin and GitLab read: one <testcase> per test; a test that passed after failing carries
 * <flakyFailure>/<flakyError>; a test that never passed carries <failure>/<error> plus
 * <rerunFailure>/<rerunError>. Output is deterministic (suites by name, cases by id).
 */
import { executionsOf, isFailingStatus, normalizeEvidence, primaryIndex } from './executions.js';
import { DEFAULT_MAX_INPUT_BYTES, EXECUTIONS_PROPERTY } from './junit-reader.js';
import type { Attempt, RetryEvidence, TestResult } from './model.js';
import { type RunState, runState, type TestState } from './state.js';
import { escapeXmlAttr, escapeXmlText, truncateMiddle } from './xml-text.js';

export interface WriteOptions {
  /** Name of the root <testsuites>, e.g. the run id. */
  name?: string;
  /**
   * The report is never larger than this many bytes (default: the reader's DEFAULT_MAX_INPUT_BYTES),
   * so a report dozhim writes is always one dozhim reads. When the texts would make it larger, every
   * text (messages, details, output; of the results and of their retries) is cut to one common length,
   * head and tail kept around the truncation marker. Tests, statuses and retry elements are never
   * dropped; when even empty texts do not fit, writing throws a RangeError instead.
   */
  maxBytes?: number;
}

interface Totals {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
  timeMs: number;
}

interface SuiteGroup {
  suite: string;
  project: string | undefined;
  tests: TestState[];
  totals: Totals;
}

/** One merged JUnit XML (Surefire conventions) for all attempts of a run. `state`: runState(attempts), if the caller has it. */
export function writeMergedJUnit(
  attempts: readonly Attempt[],
  options: WriteOptions = {},
  state: RunState = runState(attempts),
): string {
  return Array.from(mergedJUnitChunks(attempts, options, state)).join('');
}

/**
 * The merged report as consecutive chunks (the root, then one suite's testcases at a time), so a
 * large report can be written to a file without being one string. Joined, the chunks are exactly
 * writeMergedJUnit's output.
 */
export function* mergedJUnitChunks(
  attempts: readonly Attempt[],
  options: WriteOptions = {},
  state: RunState = runState(attempts),
): Generator<string> {
  const groups = suiteGroups(state);
  const cap = textCap(groups, options);
  yield rootOpen(groups, options);
  for (const g of groups) {
    yield suiteOpen(g);
    let chunk = '';
    for (const t of g.tests) {
      chunk += testcase(t, cap);
      if (chunk.length >= CHUNK_CHARS) {
        yield chunk;
        chunk = '';
      }
    }
    yield `${chunk}  </testsuite>\n`;
  }
  yield '</testsuites>\n';
}

/** Testcases are handed out in chunks of about this many characters. */
const CHUNK_CHARS = 256 * 1024;

/** Suites by name and Playwright project (written as `hostname`, as Playwright does, so that reading the merged report gives the same ids). */
function suiteGroups(state: RunState): SuiteGroup[] {
  const bySuite = new Map<string, SuiteGroup>();
  for (const t of state.tests.values()) {
    const key = JSON.stringify([t.latest.suite, t.latest.project ?? '']);
    const group = bySuite.get(key);
    if (group) group.tests.push(t);
    else
      bySuite.set(key, {
        suite: t.latest.suite,
        project: t.latest.project,
        tests: [t],
        totals: emptyTotals(),
      });
  }
  return [...bySuite.keys()].sort(byCodePoint).map((key) => {
    const g = bySuite.get(key)!;
    g.tests.sort((a, b) => byCodePoint(a.id, b.id));
    for (const t of g.tests) count(g.totals, t.latest);
    return g;
  });
}

function rootOpen(groups: readonly SuiteGroup[], options: WriteOptions): string {
  const total = emptyTotals();
  for (const g of groups) addTotals(total, g.totals);
  // The reader takes `hostname` for a project only in Playwright's shape: a root with an `id`.
  const hasProjects = groups.some((g) => g.project);
  const root = attrs({
    id: hasProjects ? '' : undefined,
    name: options.name ?? 'dozhim',
    ...totalsAttrs(total),
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ${root}>\n`;
}

const suiteOpen = (g: SuiteGroup): string =>
  `  <testsuite ${attrs({ name: g.suite, hostname: g.project, ...totalsAttrs(g.totals) })}>\n`;

/** Bytes of the whole report with every text cut to `cap` characters. */
function reportBytes(groups: readonly SuiteGroup[], options: WriteOptions, cap: number): number {
  let bytes = Buffer.byteLength(rootOpen(groups, options)) + Buffer.byteLength('</testsuites>\n');
  for (const g of groups) {
    bytes += Buffer.byteLength(suiteOpen(g)) + Buffer.byteLength('  </testsuite>\n');
    for (const t of g.tests) bytes += Buffer.byteLength(testcase(t, cap));
  }
  return bytes;
}

/** Every string the report writes, for a size bound that needs no writing. */
function* writtenStrings(t: TestState): Generator<string | undefined> {
  const r = t.latest;
  yield r.name;
  yield r.classname;
  yield r.file;
  for (const k in r.properties) {
    yield k;
    yield r.properties[k];
  }
  for (const h of t.history) {
    const x = h.result;
    yield* [x.message, x.type, x.details, x.stdout, x.stderr];
    for (const e of x.retries) yield* [e.message, e.type, e.details, e.stdout, e.stderr];
  }
}

/**
 * Bytes of markup (tags, attribute names, indentation, times) a testcase can write besides its
 * strings, at most: the testcase with its outcome and output elements, each property, and each
 * execution shown as an element with its stackTrace/system-out/system-err.
 */
function markupBound(t: TestState): number {
  const props = Object.keys(t.latest.properties).length + 1; // + dozhim.executions
  let executions = 0;
  for (const h of t.history)
    executions += (isFailingStatus(h.result.status) ? 1 : 0) + h.result.retries.length;
  return 260 + 40 * (props + 1) + 160 * executions;
}

/**
 * At least the bytes `s` takes escaped (as text or attribute): 3 bytes per non-ASCII UTF-16 unit, 6
 * per character that may be escaped. One pass over the characters, much cheaper than writing.
 */
function escapedBytesBound(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) n += 2;
    else if (c === 38 || c === 60 || c === 62 || c === 34 || c === 13 || c === 10 || c === 9) n += 5;
  }
  return n;
}

/**
 * The length every text is cut to so the report fits `maxBytes` (Infinity: no cut). A cheap upper
 * bound (escapedBytesBound per string, markupBound per testcase) settles the usual report
 * without writing it; otherwise the report is measured, and when too large the common
 * length is searched on the measured bytes per text character, then checked by measuring again.
 */
function textCap(groups: readonly SuiteGroup[], options: WriteOptions): number {
  const max = options.maxBytes ?? DEFAULT_MAX_INPUT_BYTES;
  if (max === Number.POSITIVE_INFINITY) return max;
  let bound = 1024;
  const lengths: number[] = [];
  for (const g of groups) {
    bound += 300 + escapedBytesBound(g.suite) + escapedBytesBound(g.project ?? '');
    for (const t of g.tests) {
      bound += markupBound(t);
      for (const s of writtenStrings(t)) if (s) bound += escapedBytesBound(s);
    }
  }
  if (bound <= max) return Number.POSITIVE_INFINITY;
  const full = reportBytes(groups, options, Number.POSITIVE_INFINITY);
  if (full <= max) return Number.POSITIVE_INFINITY;
  const bare = reportBytes(groups, options, 0);
  if (bare > max) {
    throw new RangeError(
      `the merged report would be ${bare} bytes even without any message, trace or output, over the ` +
        `limit of ${max} bytes that dozhim reads: too many tests for one report`,
    );
  }
  for (const g of groups) for (const t of g.tests) for (const s of cappedTexts(t)) lengths.push(s.length);
  const chars = lengths.reduce((a, b) => a + b, 0);
  const perChar = (full - bare) / Math.max(1, chars);
  // Room left for the texts, with a margin for the markers and the estimate.
  const room = (max - bare) * 0.95;
  const estimate = (cap: number) =>
    perChar * lengths.reduce((sum, n) => sum + (n <= cap ? n : cap + MARKER_CHARS), 0);
  let lo = 0;
  let hi = 0;
  for (const n of lengths) if (n > hi) hi = n;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (estimate(mid) <= room) lo = mid;
    else hi = mid - 1;
  }
  // Measured, not trusted: shrink until it really fits (0 fits, checked above).
  for (let cap = lo; ; cap = Math.floor(cap * 0.8)) {
    if (cap === 0 || reportBytes(groups, options, cap) <= max) return cap;
  }
}

/** Length of truncateMiddle's marker, about. */
const MARKER_CHARS = 40;

/** The texts the cap applies to. */
function* cappedTexts(t: TestState): Generator<string> {
  for (const h of t.history) {
    const x = h.result;
    for (const s of [x.message, x.details, x.stdout, x.stderr]) if (s) yield s;
    for (const e of x.retries) for (const s of [e.message, e.details, e.stdout, e.stderr]) if (s) yield s;
  }
}

/** `s` cut to `cap` characters (head + tail around the marker); undefined stays undefined. */
const cut = (s: string | undefined, cap: number): string | undefined =>
  s === undefined || s.length <= cap ? s : truncateMiddle(s, cap);

function testcase(t: TestState, cap: number): string {
  const r = t.latest;
  // Every failed execution across attempts, oldest first (see executions.ts for the order rules).
  const executions = t.history.flatMap((h) => executionsOf(h.result));
  const head = attrs({
    name: r.name,
    classname: r.classname,
    time: seconds(r.durationMs),
    file: r.file,
    line: r.line === undefined ? undefined : String(r.line),
  });
  const body: string[] = [];
  let output: { stdout?: string | undefined; stderr?: string | undefined } = r;
  const p = primaryIndex(executions, r.status);
  if (p < 0) {
    // Passed or skipped now: every earlier failure is flaky evidence.
    if (r.status === 'skipped')
      body.push(element('skipped', { message: cut(r.message, cap), type: r.type }, cut(r.details, cap)));
    for (const e of normalizeEvidence(executions, r.status)) body.push(retryElement(e, cap));
  } else {
    // Still failing: <failure>/<error> shows the first execution of the final kind, with its output
    // as the testcase's; all other executions follow as reruns, in order.
    const shown = executions.splice(p, 1)[0]!;
    body.push(
      element(
        r.status === 'error' ? 'error' : 'failure',
        { message: cut(shown.message, cap), type: shown.type },
        cut(shown.details, cap),
      ),
    );
    output = shown;
    for (const e of normalizeEvidence(executions, r.status)) body.push(retryElement(e, cap));
  }
  const stdout = cut(output.stdout, cap);
  const stderr = cut(output.stderr, cap);
  if (stdout) body.push(element('system-out', {}, stdout));
  if (stderr) body.push(element('system-err', {}, stderr));
  const properties =
    r.executions && r.executions > 1
      ? { ...r.properties, [EXECUTIONS_PROPERTY]: String(r.executions) }
      : r.properties;
  const props = Object.keys(properties).sort(byCodePoint);
  if (props.length > 0) {
    const items = props.map((k) => `      <property ${attrs({ name: k, value: properties[k] })}/>\n`);
    body.unshift(`    <properties>\n${items.join('')}    </properties>\n`);
  }
  return body.length === 0
    ? `    <testcase ${head}/>\n`
    : `    <testcase ${head}>\n${body.join('')}    </testcase>\n`;
}

function retryElement(e: RetryEvidence, cap: number): string {
  const kind = e.kind;
  const parts: string[] = [];
  const details = cut(e.details, cap);
  const stdout = cut(e.stdout, cap);
  const stderr = cut(e.stderr, cap);
  if (details) parts.push(`<stackTrace>${escapeXmlText(details)}</stackTrace>`);
  if (stdout) parts.push(`<system-out>${escapeXmlText(stdout)}</system-out>`);
  if (stderr) parts.push(`<system-err>${escapeXmlText(stderr)}</system-err>`);
  const a = attrs({
    message: cut(e.message, cap),
    type: e.type,
    time: e.durationMs === undefined ? undefined : seconds(e.durationMs),
  });
  const open = a ? `<${kind} ${a}` : `<${kind}`;
  return parts.length === 0 ? `      ${open}/>\n` : `      ${open}>${parts.join('')}</${kind}>\n`;
}

function element(
  tag: string,
  attributes: Record<string, string | undefined>,
  text: string | undefined,
): string {
  const a = attrs(attributes);
  const open = a ? `<${tag} ${a}` : `<${tag}`;
  return text ? `      ${open}>${escapeXmlText(text)}</${tag}>\n` : `      ${open}/>\n`;
}

/** Attributes in the given order; undefined values are left out. */
function attrs(a: Record<string, string | undefined>): string {
  return Object.entries(a)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `${k}="${escapeXmlAttr(v)}"`)
    .join(' ');
}

const emptyTotals = (): Totals => ({ tests: 0, failures: 0, errors: 0, skipped: 0, timeMs: 0 });

/** Counts follow the final status: a flaky test counts as passed. */
function count(t: Totals, r: TestResult): void {
  t.tests++;
  if (r.status === 'failed') t.failures++;
  else if (r.status === 'error') t.errors++;
  else if (r.status === 'skipped') t.skipped++;
  if (Number.isFinite(r.durationMs) && r.durationMs > 0) t.timeMs += r.durationMs;
}

function addTotals(into: Totals, t: Totals): void {
  into.tests += t.tests;
  into.failures += t.failures;
  into.errors += t.errors;
  into.skipped += t.skipped;
  into.timeMs += t.timeMs;
}

const totalsAttrs = (t: Totals) => ({
  tests: String(t.tests),
  failures: String(t.failures),
  errors: String(t.errors),
  skipped: String(t.skipped),
  time: seconds(t.timeMs),
});

/** Milliseconds as JUnit seconds; a negative or non-finite duration (not from our reader) is 0. */
const seconds = (ms: number): string => (Number.isFinite(ms) && ms > 0 ? ms / 1000 : 0).toFixed(3);

/** Locale-independent order, so the same run always gives byte-identical output. */
const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
