/**
 * Merged JUnit report for all attempts of a run, in the Surefire rerun convention that Jenkins'
 * JUnit plugin and GitLab read: one <testcase> per test; a test that passed after failing carries
 * <flakyFailure>/<flakyError>; a test that never passed carries <failure>/<error> plus
 * <rerunFailure>/<rerunError>. Output is deterministic (suites by name, cases by id).
 */
import { executionsOf, normalizeEvidence, primaryIndex } from './executions.js';
import { EXECUTIONS_PROPERTY } from './junit-reader.js';
import type { Attempt, RetryEvidence, TestResult } from './model.js';
import { type RunState, runState, type TestState } from './state.js';
import { escapeXmlAttr, escapeXmlText } from './xml-text.js';

export interface WriteOptions {
  /** Name of the root <testsuites>, e.g. the run id. */
  name?: string;
}

interface Totals {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
  timeMs: number;
}

/** One merged JUnit XML (Surefire conventions) for all attempts of a run. */
export function writeMergedJUnit(
  attempts: readonly Attempt[],
  options: WriteOptions = {},
  state: RunState = runState(attempts),
): string {
  // Suites by name and Playwright project (written as `hostname`, as Playwright does, so that
  // reading the merged report gives the same ids).
  const bySuite = new Map<string, { suite: string; project: string | undefined; tests: TestState[] }>();
  for (const t of state.tests.values()) {
    const key = JSON.stringify([t.latest.suite, t.latest.project ?? '']);
    const group = bySuite.get(key);
    if (group) group.tests.push(t);
    else bySuite.set(key, { suite: t.latest.suite, project: t.latest.project, tests: [t] });
  }
  const total = emptyTotals();
  const suites: string[] = [];
  for (const key of [...bySuite.keys()].sort(byCodePoint)) {
    const { suite, project } = bySuite.get(key)!;
    const tests = bySuite.get(key)!.tests.sort((a, b) => byCodePoint(a.id, b.id));
    const totals = emptyTotals();
    const cases = tests.map((t) => {
      count(totals, t.latest);
      return testcase(t);
    });
    addTotals(total, totals);
    suites.push(
      `  <testsuite ${attrs({ name: suite, hostname: project, ...totalsAttrs(totals) })}>\n${cases.join('')}  </testsuite>\n`,
    );
  }
  // The reader takes `hostname` for a project only in Playwright's shape: a root with an `id`.
  const hasProjects = [...bySuite.values()].some((g) => g.project);
  const root = attrs({
    id: hasProjects ? '' : undefined,
    name: options.name ?? 'dozhim',
    ...totalsAttrs(total),
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ${root}>\n${suites.join('')}</testsuites>\n`;
}

function testcase(t: TestState): string {
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
      body.push(element('skipped', { message: r.message, type: r.type }, r.details));
    for (const e of normalizeEvidence(executions, r.status)) body.push(retryElement(e));
  } else {
    // Still failing: <failure>/<error> shows the first execution of the final kind, with its output
    // as the testcase's; all other executions follow as reruns, in order.
    const shown = executions.splice(p, 1)[0]!;
    body.push(
      element(
        r.status === 'error' ? 'error' : 'failure',
        { message: shown.message, type: shown.type },
        shown.details,
      ),
    );
    output = shown;
    for (const e of normalizeEvidence(executions, r.status)) body.push(retryElement(e));
  }
  if (output.stdout) body.push(element('system-out', {}, output.stdout));
  if (output.stderr) body.push(element('system-err', {}, output.stderr));
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

function retryElement(e: RetryEvidence): string {
  const kind = e.kind;
  const parts: string[] = [];
  if (e.details) parts.push(`<stackTrace>${escapeXmlText(e.details)}</stackTrace>`);
  if (e.stdout) parts.push(`<system-out>${escapeXmlText(e.stdout)}</system-out>`);
  if (e.stderr) parts.push(`<system-err>${escapeXmlText(e.stderr)}</system-err>`);
  const a = attrs({
    message: e.message,
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
