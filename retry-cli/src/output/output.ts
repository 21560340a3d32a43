import type { Env } from '../cli/ci-env.js';

/**
 * Everything dozhim prints, as pure string builders: attempt headers, GitLab collapsible sections,
 * decision lines and the final summary. Colour only on a TTY and never with NO_COLOR.
 */

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

/**
 * FORCE_COLOR (set, and not `0`/`false`) turns colour on without a terminal (CI logs render ANSI), and
 * wins over NO_COLOR, as in Node itself; otherwise https://no-color.org: NO_COLOR set to a non-empty
 * value disables colour, whatever the terminal.
 */
export const useColor = (isTTY: boolean | undefined, env: Env): boolean => {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '0' && force !== 'false') return true;
  return Boolean(isTTY) && !env.NO_COLOR;
};

const sgr =
  (open: number, close: number) =>
  (s: string): string =>
    `\x1b[${open}m${s}\x1b[${close}m`;

const plain = (s: string): string => s;

export function createStyle(color: boolean): Style {
  if (!color) return { bold: plain, dim: plain, red: plain, green: plain, yellow: plain, cyan: plain };
  return {
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    red: sgr(31, 39),
    green: sgr(32, 39),
    yellow: sgr(33, 39),
    cyan: sgr(36, 39),
  };
}

export const inGitLab = (env: Env): boolean => Boolean(env.GITLAB_CI);

/** GitLab collapsible section start (https://docs.gitlab.com/ci/jobs/job_logs/#custom-collapsible-sections). */
export function sectionStart(name: string, title: string, unixSeconds: number, collapsed = true): string {
  const opts = collapsed ? '[collapsed=true]' : '';
  return `\x1b[0Ksection_start:${Math.floor(unixSeconds)}:${name}${opts}\r\x1b[0K${title}\n`;
}

export function sectionEnd(name: string, unixSeconds: number): string {
  return `\x1b[0Ksection_end:${Math.floor(unixSeconds)}:${name}\r\x1b[0K\n`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s - m * 60)).padStart(2, '0')}s`;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export interface AttemptHeader {
  attempt: number;
  maxRuns: number;
  threads: number;
  /** Number of selected tests; undefined for the first attempt (the whole suite). */
  selected?: number;
  command: string;
}

export function attemptTitle(h: AttemptHeader): string {
  const what = h.selected === undefined ? 'all tests' : `${plural(h.selected, 'test')} selected`;
  return `dozhim: attempt ${h.attempt}/${h.maxRuns} - ${plural(h.threads, 'thread')}, ${what}`;
}

export function attemptHeader(h: AttemptHeader, style: Style): string {
  return `${style.bold(style.cyan(`==> ${attemptTitle(h)}`))}\n${style.dim(`$ ${h.command}`)}\n`;
}

/** The decision in the words of today's pipelines, coloured by severity. */
export function decisionLine(line: string, style: Style): string {
  const color = line.startsWith('TERMINATED')
    ? style.red
    : line.startsWith('RETRY')
      ? style.yellow
      : line.startsWith('FINISHED - max') || line.includes('failing') || line.includes('failed')
        ? style.red
        : style.green;
  return `${style.bold(color(`dozhim: ${line}`))}\n`;
}

export interface SummaryRow {
  attempt: number;
  threads: number;
  /** undefined = all tests. */
  selected?: number;
  total: number;
  passed: number;
  failed: number;
  skipped: number;
  durationMs: number;
}

export interface SummaryView {
  runId: string;
  rows: SummaryRow[];
  flaky: string[];
  failing: string[];
  quarantined: string[];
  /** Set when the reporter could not be used: said again at the end so nobody misses it. */
  localModeReason?: string;
  runUrl?: string;
  reportPath?: string;
  line?: string;
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]): string =>
    r
      .map((c, i) => c.padStart(widths[i]!))
      .join('  ')
      .trimEnd();
  return [fmt(header), ...rows.map(fmt)];
}

const MAX_LISTED = 50;

function list(title: string, ids: readonly string[], paint: (s: string) => string): string[] {
  if (ids.length === 0) return [];
  const shown = ids.slice(0, MAX_LISTED).map((id) => `  ${paint(id)}`);
  if (ids.length > MAX_LISTED) shown.push(`  ... and ${ids.length - MAX_LISTED} more`);
  return [`${title} (${ids.length}):`, ...shown];
}

export function summaryText(v: SummaryView, style: Style): string {
  const lines: string[] = [style.bold(`dozhim summary - run ${v.runId}`)];
  lines.push(
    ...table(
      ['attempt', 'threads', 'selected', 'total', 'passed', 'failed', 'skipped', 'duration'],
      v.rows.map((r) => [
        String(r.attempt),
        String(r.threads),
        r.selected === undefined ? 'all' : String(r.selected),
        String(r.total),
        String(r.passed),
        String(r.failed),
        String(r.skipped),
        formatDuration(r.durationMs),
      ]),
    ),
  );
  lines.push(...list('flaky tests (passed only on a rerun)', v.flaky, style.yellow));
  lines.push(...list('still failing', v.failing, style.red));
  lines.push(...list('quarantined and failing (not counted)', v.quarantined, style.dim));
  if (v.line) lines.push(`decision: ${v.line}`);
  if (v.reportPath) lines.push(`merged report: ${v.reportPath}`);
  if (v.runUrl) lines.push(`reporter: ${v.runUrl}`);
  if (v.localModeReason) lines.push(style.bold(style.red(`WARNING: local mode - ${v.localModeReason}`)));
  return `${lines.join('\n')}\n`;
}

export interface Printer {
  style: Style;
  gitlab: boolean;
  /** Progress, headers, decisions, summary. */
  info(text: string): void;
  warn(text: string): void;
  /** Where the test command's own output goes. */
  child: { stdout: { write(c: string | Uint8Array): void }; stderr: { write(c: string | Uint8Array): void } };
}

interface PrinterIO {
  stdout: { write(c: string | Uint8Array): void; isTTY?: boolean };
  stderr: { write(c: string | Uint8Array): void; isTTY?: boolean };
  env: Env;
}

/**
 * With `jsonOnStdout` (e.g. `dozhim attempt --json`) everything human, the test command's output
 * included, goes to stderr so stdout holds only the JSON document.
 */
export function createPrinter(io: PrinterIO, jsonOnStdout = false): Printer {
  const human = jsonOnStdout ? io.stderr : io.stdout;
  return {
    style: createStyle(useColor(human.isTTY, io.env)),
    gitlab: inGitLab(io.env),
    info: (t) => human.write(t),
    warn: (t) => io.stderr.write(t),
    child: { stdout: human, stderr: io.stderr },
  };
}
