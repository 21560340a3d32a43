import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import {
  DEFAULT_POLICY,
  type MaxFailed,
  type PolicyOptions,
  parseMaxFailed,
  parseThreadsSchedule,
  RUN_ID_PATTERN,
  RUN_ID_RULE,
  type ThreadsSchedule,
} from '@dozhim/core';
import { InvalidArgumentError } from 'commander';
import type { FrameworkName } from './adapters/types.js';
import type { Env } from './ci-env.js';
import type { ConfigFile } from './config-file.js';
import { UsageError } from './exit-codes.js';

/**
 * Options of the commands that run or judge attempts, from layers: command-line flags win over
 * environment variables (DOZHIM_REPORTER_URL, DOZHIM_TOKEN, DOZHIM_REPORTER_TIMEOUT,
 * DOZHIM_STATE_DIR), which win over `dozhim.config.json` (zod-validated), which wins over defaults.
 * Flags are validated as commander parses them (the parsers below), so each layer arrives typed.
 */

export const CONFIG_FILE_NAME = 'dozhim.config.json';

/** One layer of options, typed. */
export interface OptionLayer {
  framework?: FrameworkName;
  command?: string | string[];
  junit?: string;
  maxRuns?: number;
  maxFailed?: string | number;
  threads?: number;
  threadsSchedule?: string | number[];
  minThreads?: number;
  stopOnNoProgress?: boolean;
  retryOn?: string[];
  quarantine?: string;
  failOnFlaky?: boolean;
  healthCheck?: string;
  healthTimeout?: number;
  beforeRerun?: string;
  reporter?: string;
  shard?: string;
  report?: string;
  summaryJson?: string;
  stateDir?: string;
  attemptTimeout?: number;
  runId?: string;
  token?: string;
  reporterTimeout?: number;
  junitRepeats?: JUnitRepeats;
}

/** How a report's repeated testcases are read: as retries of one test, or as distinct executions. */
export type JUnitRepeats = 'retries' | 'executions';
export const JUNIT_REPEATS: readonly JUnitRepeats[] = ['retries', 'executions'];

export interface ResolvedOptions {
  cwd: string;
  framework: FrameworkName;
  /** The test command (argv, or one shell string); may be empty for commands that run nothing. */
  command: string[];
  junit?: string;
  policy: PolicyOptions;
  quarantineFile?: string;
  failOnFlaky: boolean;
  healthCheck?: string;
  healthTimeoutMs: number;
  beforeRerun?: string;
  runId?: string;
  reporterUrl?: string;
  token?: string;
  reporterBudgetMs: number;
  shard: string;
  reportPath: string;
  summaryJson?: string;
  stateDir: string;
  attemptTimeoutMs?: number;
  /** Overrides the adapter's reading of repeated testcases (`--junit-repeats`). */
  junitRepeats?: 'retries' | 'executions';
}

export const DEFAULTS = {
  framework: 'generic',
  maxRuns: 3,
  maxFailed: 40,
  threads: 1,
  threadsSchedule: 'halve',
  minThreads: 1,
  stopOnNoProgress: true,
  retryOn: [] as string[],
  failOnFlaky: false,
  healthTimeout: 60,
  shard: 'default',
  report: 'dozhim-report.xml',
  stateDir: '.dozhim',
  reporterTimeout: 30,
} satisfies OptionLayer;

// ---- flag parsers (commander argParser): a bad value is a usage error naming the flag ----

export function parseCount(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError('must be a whole number >= 1.');
  return n;
}

export function parseSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError('must be a number of seconds > 0.');
  return n;
}

export function parseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be an http(s) URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidArgumentError('must be an http(s) URL.');
  return value;
}

export function parseRunId(value: string): string {
  if (!RUN_ID_PATTERN.test(value)) throw new InvalidArgumentError(`${RUN_ID_RULE}.`);
  return value;
}

const checked =
  <T>(parse: (v: string) => T) =>
  (value: string): string => {
    try {
      parse(value);
    } catch (e) {
      throw new InvalidArgumentError(`${(e as Error).message}.`);
    }
    return value;
  };

export const parseMaxFailedFlag = checked(parseMaxFailed);
export const parseScheduleFlag = checked(parseThreadsSchedule);

/** Repeatable `--retry-on`: each value must compile as a regular expression. */
export function collectRegex(value: string, previous: string[] = []): string[] {
  checked((v) => new RegExp(v))(value);
  return [...previous, value];
}

// ---- layers ----

/** Reads `--config <file>`, or `dozhim.config.json` in cwd when present. A named file must exist. */
export async function loadConfigFile(path: string | undefined, cwd: string): Promise<ConfigFile> {
  const file = resolve(cwd, path ?? CONFIG_FILE_NAME);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && path === undefined) return {};
    throw new UsageError(`cannot read config file ${file}: ${(e as Error).message}`);
  }
  return parseConfigFile(text, file);
}

export async function parseConfigFile(text: string, source: string): Promise<ConfigFile> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${source}: not valid JSON (${(e as Error).message})`);
  }
  const { parseConfigJson } = await import('./config-file.js');
  const parsed = parseConfigJson(json, source);
  if (!parsed.ok) throw new UsageError(parsed.message);
  return parsed.value;
}

export function envLayer(env: Env): OptionLayer {
  const layer: OptionLayer = {};
  const fromEnv = <T>(name: string, parse: (v: string) => T): T | undefined => {
    const v = env[name];
    if (!v) return undefined;
    try {
      return parse(v);
    } catch (e) {
      throw new UsageError(`${name}: ${(e as Error).message}`);
    }
  };
  const reporter = fromEnv('DOZHIM_REPORTER_URL', parseUrl);
  if (reporter) layer.reporter = reporter;
  if (env.DOZHIM_TOKEN) layer.token = env.DOZHIM_TOKEN;
  const timeout = fromEnv('DOZHIM_REPORTER_TIMEOUT', parseSeconds);
  if (timeout) layer.reporterTimeout = timeout;
  if (env.DOZHIM_STATE_DIR) layer.stateDir = env.DOZHIM_STATE_DIR;
  return layer;
}

const defined = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

function policyPart<T>(what: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    throw new UsageError(`${what}: ${(e as Error).message}`);
  }
}

/**
 * Merges the layers and checks what spans several options. `cli` holds only the flags the user
 * actually gave; `command` is what followed `--` (empty: take the config file's).
 */
export function resolveOptions(input: {
  cli: OptionLayer;
  file: ConfigFile;
  env: Env;
  cwd: string;
  command: readonly string[];
}): ResolvedOptions {
  const { $schema: _ignored, ...file } = input.file;
  const o = { ...DEFAULTS, ...defined(file as OptionLayer), ...envLayer(input.env), ...defined(input.cli) };

  const maxFailed: MaxFailed = policyPart('--max-failed', () => parseMaxFailed(o.maxFailed));
  const schedule: ThreadsSchedule = policyPart('--threads-schedule', () =>
    parseThreadsSchedule(Array.isArray(o.threadsSchedule) ? o.threadsSchedule.join(',') : o.threadsSchedule),
  );
  const retryOn = o.retryOn.map((p) => policyPart(`--retry-on ${JSON.stringify(p)}`, () => new RegExp(p)));
  const threadsGiven = input.cli.threads !== undefined || file.threads !== undefined;
  // With an explicit list and no threads given, the list's first entry is the first attempt's.
  const threads = !threadsGiven && schedule.kind === 'list' ? schedule.threads[0]! : o.threads;
  if (o.minThreads > threads && schedule.kind === 'halve') {
    throw new UsageError(`--min-threads (${o.minThreads}) is larger than --threads (${threads})`);
  }

  const command =
    input.command.length > 0
      ? [...input.command]
      : typeof o.command === 'string'
        ? [o.command]
        : [...(o.command ?? [])];
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(input.cwd, p));

  return {
    cwd: input.cwd,
    framework: o.framework,
    command,
    ...(o.junit ? { junit: o.junit } : {}),
    policy: {
      ...DEFAULT_POLICY,
      maxRuns: o.maxRuns,
      maxFailed,
      stopOnNoProgress: o.stopOnNoProgress,
      threads,
      schedule,
      minThreads: o.minThreads,
      retryOn,
      quarantine: new Set(),
    },
    ...(o.quarantine ? { quarantineFile: abs(o.quarantine) } : {}),
    failOnFlaky: o.failOnFlaky,
    ...(o.healthCheck ? { healthCheck: o.healthCheck } : {}),
    healthTimeoutMs: o.healthTimeout * 1000,
    ...(o.beforeRerun ? { beforeRerun: o.beforeRerun } : {}),
    ...(o.runId ? { runId: o.runId } : {}),
    ...(o.reporter ? { reporterUrl: o.reporter } : {}),
    ...(o.token ? { token: o.token } : {}),
    reporterBudgetMs: o.reporterTimeout * 1000,
    shard: o.shard,
    reportPath: abs(o.report),
    ...(o.summaryJson ? { summaryJson: abs(o.summaryJson) } : {}),
    stateDir: abs(o.stateDir),
    ...(o.attemptTimeout ? { attemptTimeoutMs: o.attemptTimeout * 1000 } : {}),
    ...(o.junitRepeats ? { junitRepeats: o.junitRepeats } : {}),
  };
}
