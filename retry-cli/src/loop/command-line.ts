import { applyAdditions, mergeEnv } from '../adapters/index.js';
import type { CommandAdditions } from '../adapters/types.js';

/**
 * Turns the user's test command into what is spawned for one attempt.
 *
 * Two modes, chosen by how the user wrote the command:
 * - argv (`dozhim run -- pytest -n {threads} {tests}`): spawned WITHOUT a shell. Placeholders are
 *   replaced inside argv elements and `{tests}` standing alone expands to zero or more elements, so
 *   test names are data and can never inject anything.
 * - one string containing whitespace (`dozhim run -- "npm test -- {tests}"`): run with `sh -c`, and
 *   every substituted value is single-quoted, so names with quotes, `$`, `;` or spaces stay literal.
 */

export const PLACEHOLDER_NAMES = [
  'threads',
  'tests',
  'testList',
  'attempt',
  'runId',
  'junit',
  'shardIndex',
  'shardTotal',
] as const;
export type PlaceholderName = (typeof PLACEHOLDER_NAMES)[number];

const PLACEHOLDER_RE = new RegExp(`\\{(${PLACEHOLDER_NAMES.join('|')})\\}`, 'g');

export interface PlaceholderValues {
  threads: number;
  /** The adapter's selection arguments (empty on the first attempt). */
  tests: readonly string[];
  /** One selector per test, joined with commas for `{testList}`. */
  testList: readonly string[];
  attempt: number;
  runId: string;
  junit: string;
  /** This job's share of a sharded attempt 1 (`--shard K/N`); 1 of 1 otherwise. */
  shardIndex: number;
  shardTotal: number;
}

export interface CommandSpec {
  file: string;
  args: string[];
  env: Record<string, string>;
  /** Human-readable form for logs. */
  display: string;
}

export interface AdapterParts {
  report: CommandAdditions;
  threads: CommandAdditions;
  /** Selection of the tests to rerun; undefined on the first attempt. */
  select?: CommandAdditions;
}

/** True when the command is one string with whitespace: the user asked for a shell. */
export const isShellCommand = (argv: readonly string[]): boolean =>
  argv.length === 1 && /\s/.test(argv[0] ?? '');

export function placeholdersUsed(argv: readonly string[]): Set<PlaceholderName> {
  const used = new Set<PlaceholderName>();
  for (const a of argv) for (const m of a.matchAll(PLACEHOLDER_RE)) used.add(m[1] as PlaceholderName);
  return used;
}

/** POSIX single-quoting: safe for any byte string except NUL. */
export function shellQuote(value: string): string {
  if (value !== '' && /^[A-Za-z0-9_\-+=.,/:@%]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function scalar(name: Exclude<PlaceholderName, 'tests'>, v: PlaceholderValues): string {
  switch (name) {
    case 'threads':
      return String(v.threads);
    case 'testList':
      return v.testList.join(',');
    case 'attempt':
      return String(v.attempt);
    case 'runId':
      return v.runId;
    case 'junit':
      return v.junit;
    case 'shardIndex':
      return String(v.shardIndex);
    case 'shardTotal':
      return String(v.shardTotal);
  }
}

/** Expands placeholders in argv mode. `{tests}` alone becomes its elements; inside text, a space-joined string. */
export function expandArgv(argv: readonly string[], values: PlaceholderValues): string[] {
  const out: string[] = [];
  for (const arg of argv) {
    if (arg === '{tests}') {
      out.push(...values.tests);
      continue;
    }
    out.push(
      arg.replace(PLACEHOLDER_RE, (_, name: PlaceholderName) =>
        name === 'tests' ? values.tests.join(' ') : scalar(name, values),
      ),
    );
  }
  return out;
}

/** Expands placeholders in a shell script, quoting every substituted value. */
export function expandShell(script: string, values: PlaceholderValues): string {
  return script.replace(PLACEHOLDER_RE, (_, name: PlaceholderName) =>
    name === 'tests' ? values.tests.map(shellQuote).join(' ') : shellQuote(scalar(name, values)),
  );
}

/**
 * Linux refuses to start a process with one environment string over 128 KiB (MAX_ARG_STRLEN): a
 * long selection is left out of DOZHIM_TESTS / DOZHIM_TEST_LIST (emptied, with
 * DOZHIM_TESTS_TRUNCATED=1) rather than making the spawn fail; DOZHIM_TESTS_FILE always has them.
 */
export const MAX_ENV_VALUE = 64 * 1024;

/** The environment exported to every attempt (mirrors the placeholders). */
export function placeholderEnv(values: PlaceholderValues, testsFile?: string): Record<string, string> {
  // One selection argument per line: names may contain spaces but never newlines.
  const tests = values.tests.join('\n');
  const testList = values.testList.join(',');
  // The kernel's limit is in bytes: non-ASCII (Cyrillic, CJK) names take 2-3 bytes a character.
  const tooLong =
    Buffer.byteLength(tests, 'utf8') > MAX_ENV_VALUE || Buffer.byteLength(testList, 'utf8') > MAX_ENV_VALUE;
  const env: Record<string, string> = {
    DOZHIM_THREADS: String(values.threads),
    DOZHIM_TESTS: tooLong ? '' : tests,
    DOZHIM_TEST_LIST: tooLong ? '' : testList,
    DOZHIM_ATTEMPT: String(values.attempt),
    DOZHIM_RUN_ID: values.runId,
    DOZHIM_JUNIT: values.junit,
    DOZHIM_SHARD_INDEX: String(values.shardIndex),
    DOZHIM_SHARD_TOTAL: String(values.shardTotal),
  };
  if (tooLong) env.DOZHIM_TESTS_TRUNCATED = '1';
  if (testsFile) env.DOZHIM_TESTS_FILE = testsFile;
  return env;
}

/**
 * Builds the spawn spec. Each adapter part is appended unless the user placed it with its own
 * placeholder: the report unless `{junit}` is used (the report must land where dozhim looks for it),
 * the thread count unless `{threads}`, the rerun selection unless `{tests}` or `{testList}`. So
 * `pytest -n {threads}` still reruns exactly the failed tests. The adapter's environment is always merged.
 */
export function buildCommand(
  argv: readonly string[],
  values: PlaceholderValues,
  adapter: AdapterParts,
  baseEnv: Record<string, string> = {},
): CommandSpec {
  if (argv.length === 0) throw new RangeError('empty test command');
  const used = placeholdersUsed(argv);
  const extra: CommandAdditions[] = [
    ...(used.has('junit') ? [] : [adapter.report]),
    ...(used.has('threads') ? [] : [adapter.threads]),
    ...(adapter.select && !used.has('tests') && !used.has('testList') ? [adapter.select] : []),
  ];
  // Environment is not positional: every part's env is merged even when the user places the args
  // (pytest's `{tests}` needs its selection plugin on PYTHONPATH, for one).
  const all = [adapter.report, adapter.threads, ...(adapter.select ? [adapter.select] : [])];
  const env = { ...baseEnv, ...mergeEnv(all) };

  if (isShellCommand(argv)) {
    const script = insertIntoScript(expandShell(argv[0]!, values), extra);
    return { file: '/bin/sh', args: ['-c', script], env, display: script };
  }
  const [file, ...args] = applyAdditions(expandArgv(argv, values), extra);
  return { file: file!, args, env, display: [file!, ...args].map(shellQuote).join(' ') };
}

/**
 * The adapter's additions for a shell command, quoted: `prepend` goes before the script's first
 * standalone `--` (or after its first word), `args` at the end, as applyAdditions does for argv.
 */
function insertIntoScript(script: string, additions: readonly CommandAdditions[]): string {
  const prepend = additions.flatMap((a) => a.prepend ?? []).map(shellQuote);
  const append = additions.flatMap((a) => a.args).map(shellQuote);
  let out = script;
  if (prepend.length > 0) {
    const sep = / -- /.exec(out);
    const at = sep ? sep.index : (/^\s*\S+/.exec(out)?.[0].length ?? 0);
    out = `${out.slice(0, at)} ${prepend.join(' ')}${out.slice(at)}`;
  }
  return append.length > 0 ? `${out} ${append.join(' ')}` : out;
}
