import { randomBytes } from 'node:crypto';
import {
  DEFAULT_POLICY,
  type MaxFailed,
  parseMaxFailed,
  parseThreadsSchedule,
  RUN_ID_PATTERN,
  RUN_ID_RULE,
  sanitizeRunId,
  type ThreadsSchedule,
} from '@dozhim/core';
import { InvalidArgumentError } from 'commander';
// Type-only: zod itself is loaded by config-file.ts, and only when a config file exists.
import type { ZodType, z } from 'zod';
import { FRAMEWORKS } from '../adapters/index.js';
import type { FrameworkName } from '../adapters/types.js';
import type { Env } from './ci-env.js';
import { UsageError } from './exit-codes.js';

/**
 * The one table of the `dozhim` binary's layered options. Each row names an option once: its flag
 * and help text (commander, in program.ts), its default (DEFAULTS), its environment variable
 * (envLayer in options.ts) and its config-file schema (config-file.ts, built from the rows when a
 * config file exists). Layers: flags > environment > config file > defaults.
 * The run id is not layered: resolveRunId below owns its sources and their validation.
 */

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

export const CONFIG_FILE_NAME = 'dozhim.config.json';
/** Read by resolveRunId, not by the environment layer: the run id's source is reported. */
export const RUN_ID_ENV = 'DOZHIM_RUN_ID';

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

// ---- the table ----

/** Which commands take a row's flag: the store (all), the policy (run, attempt, decide), execution. */
export type OptionGroup = 'store' | 'policy' | 'execution';

export interface OptionSpec<K extends keyof OptionLayer = keyof OptionLayer> {
  /** Absent: no flag (environment only). */
  flag?: {
    group: OptionGroup;
    flags: string;
    /** `{default}` and `{env}` are replaced by the row's default and environment variable. */
    help: string;
    choices?: readonly string[];
  };
  /** Parses the flag's and the environment variable's text (commander argParser). */
  parse?: (value: string, previous: never) => unknown;
  default?: NonNullable<OptionLayer[K]>;
  env?: string;
  /** The config-file schema of the value; absent: not allowed in the config file. */
  config?: (zod: typeof z) => ZodType;
}

const count = (zod: typeof z, min: number) => zod.number().int().min(min);
const text = (zod: typeof z) => zod.string().min(1);

function formatMaxFailed(m: MaxFailed): string | number {
  return m.kind === 'count' ? m.value : `${m.value}%`;
}
function formatSchedule(s: ThreadsSchedule): string {
  return s.kind === 'halve' ? 'halve' : s.threads.join(',');
}

/** Rows in help order within each group. Policy defaults are core's DEFAULT_POLICY. */
export const OPTION_TABLE: { readonly [K in keyof OptionLayer]-?: OptionSpec<K> } = {
  runId: {
    flag: {
      group: 'store',
      flags: '--run-id <id>',
      help: `run id (default: ${RUN_ID_ENV}, GitLab CI_PIPELINE_ID, Jenkins BUILD_TAG, else generated)`,
    },
    parse: parseRunId,
  },
  reporter: {
    flag: {
      group: 'store',
      flags: '--reporter <url>',
      help: 'reporter base URL (env {env}); without it: local mode',
    },
    parse: parseUrl,
    env: 'DOZHIM_REPORTER_URL',
    config: (zod) => zod.url({ protocol: /^https?$/ }),
  },
  token: {
    flag: { group: 'store', flags: '--token <token>', help: 'reporter bearer token (env {env})' },
    // A per-run secret: flags and environment only, never the config file.
    env: 'DOZHIM_TOKEN',
  },
  stateDir: {
    flag: {
      group: 'store',
      flags: '--state-dir <dir>',
      help: 'local state directory (env {env}, default {default})',
    },
    default: '.dozhim',
    env: 'DOZHIM_STATE_DIR',
    config: text,
  },
  reporterTimeout: {
    // Budget in seconds for all reporter calls of a command; environment only.
    default: 30,
    env: 'DOZHIM_REPORTER_TIMEOUT',
    parse: parseSeconds,
  },
  maxRuns: {
    flag: {
      group: 'policy',
      flags: '--max-runs <n>',
      help: 'attempts in total, the first included (default {default})',
    },
    parse: parseCount,
    default: DEFAULT_POLICY.maxRuns,
    config: (zod) => count(zod, 1),
  },
  maxFailed: {
    flag: {
      group: 'policy',
      flags: '--max-failed <n|n%>',
      help: 'stop when more tests than this fail in an attempt (default {default})',
    },
    parse: parseMaxFailedFlag,
    default: formatMaxFailed(DEFAULT_POLICY.maxFailed),
    config: (zod) =>
      zod.union([count(zod, 0), zod.string().regex(/^\d+(\.\d+)?%?$/, 'a number or a percent like 10%')]),
  },
  threads: {
    flag: {
      group: 'policy',
      flags: '--threads <n>',
      help: 'threads of the first attempt (default {default})',
    },
    parse: parseCount,
    default: DEFAULT_POLICY.threads,
    config: (zod) => count(zod, 1),
  },
  threadsSchedule: {
    flag: {
      group: 'policy',
      flags: '--threads-schedule <halve|8,4,2>',
      help: 'threads of later attempts (default {default})',
    },
    parse: parseScheduleFlag,
    default: formatSchedule(DEFAULT_POLICY.schedule),
    config: (zod) =>
      zod.union([zod.literal('halve'), zod.string().regex(/^\d+(,\d+)*$/), zod.array(count(zod, 1)).min(1)]),
  },
  minThreads: {
    flag: {
      group: 'policy',
      flags: '--min-threads <n>',
      help: 'never fewer threads than this (default {default})',
    },
    parse: parseCount,
    default: DEFAULT_POLICY.minThreads,
    config: (zod) => count(zod, 1),
  },
  stopOnNoProgress: {
    flag: {
      group: 'policy',
      flags: '--no-stop-on-no-progress',
      help: 'keep retrying even when a rerun made no failing test pass',
    },
    default: DEFAULT_POLICY.stopOnNoProgress,
    config: (zod) => zod.boolean(),
  },
  retryOn: {
    flag: {
      group: 'policy',
      flags: '--retry-on <regex>',
      help: 'only retry failures whose message or type matches (repeatable)',
    },
    parse: collectRegex,
    default: DEFAULT_POLICY.retryOn.map((r) => r.source),
    config: (zod) => zod.array(zod.string()),
  },
  quarantine: {
    flag: {
      group: 'policy',
      flags: '--quarantine <file>',
      help: 'test ids (one a line, # comments) whose failures never fail the run',
    },
    config: text,
  },
  failOnFlaky: {
    flag: { group: 'policy', flags: '--fail-on-flaky', help: 'exit 6 when tests passed only on a rerun' },
    default: false,
    config: (zod) => zod.boolean(),
  },
  framework: {
    flag: {
      group: 'execution',
      flags: '--framework <name>',
      help: 'test framework (default {default})',
      choices: FRAMEWORKS,
    },
    default: 'generic',
    config: (zod) => zod.enum(FRAMEWORKS as [FrameworkName, ...FrameworkName[]]),
  },
  junit: {
    flag: {
      group: 'execution',
      flags: '--junit <glob>',
      help: "where the command's JUnit reports appear (default: the framework's)",
    },
    config: text,
  },
  healthCheck: {
    flag: {
      group: 'execution',
      flags: '--health-check <command>',
      help: 'shell command that must pass before every rerun',
    },
    config: text,
  },
  healthTimeout: {
    flag: {
      group: 'execution',
      flags: '--health-timeout <seconds>',
      help: 'how long the health check may keep failing (default {default})',
    },
    parse: parseSeconds,
    default: 60,
    config: (zod) => zod.number().positive(),
  },
  beforeRerun: {
    flag: {
      group: 'execution',
      flags: '--before-rerun <command>',
      help: 'shell command run before every rerun',
    },
    config: text,
  },
  attemptTimeout: {
    flag: {
      group: 'execution',
      flags: '--attempt-timeout <seconds>',
      help: 'kill the test command tree after this long',
    },
    parse: parseSeconds,
    config: (zod) => zod.number().positive(),
  },
  shard: {
    flag: {
      group: 'execution',
      flags: '--shard <K/N>',
      help: 'attempt: run share K of N of attempt 1 (a shard job of a sharded pipeline); run: a shard name',
    },
    default: 'default',
    config: text,
  },
  junitRepeats: {
    flag: {
      group: 'execution',
      flags: '--junit-repeats <how>',
      help: "a testcase repeated in one report: retries of one test, or distinct executions (default: the framework's)",
      choices: JUNIT_REPEATS,
    },
    config: (zod) => zod.enum(JUNIT_REPEATS as [JUnitRepeats, ...JUnitRepeats[]]),
  },
  report: {
    flag: { group: 'execution', flags: '--report <file>', help: 'merged JUnit report (default {default})' },
    default: 'dozhim-report.xml',
    config: text,
  },
  summaryJson: {
    flag: { group: 'execution', flags: '--summary-json <file>', help: 'machine-readable summary' },
    config: text,
  },
  // The test command: what follows `--`, or the config file's.
  command: {
    config: (zod) => zod.union([zod.string().min(1), zod.array(zod.string()).min(1)]),
  },
};

type Row = readonly [keyof OptionLayer, OptionSpec];
export const OPTION_ROWS: readonly Row[] = Object.entries(OPTION_TABLE) as unknown as Row[];

/** The defaults of every row that has one. */
export const DEFAULTS = Object.fromEntries(
  OPTION_ROWS.flatMap(([key, spec]) => (spec.default === undefined ? [] : [[key, spec.default]])),
) as Required<Pick<OptionLayer, DefaultedKey>>;
type DefaultedKey =
  | 'framework'
  | 'maxRuns'
  | 'maxFailed'
  | 'threads'
  | 'threadsSchedule'
  | 'minThreads'
  | 'stopOnNoProgress'
  | 'retryOn'
  | 'failOnFlaky'
  | 'healthTimeout'
  | 'shard'
  | 'report'
  | 'stateDir'
  | 'reporterTimeout';

/** A row's help text with its default and environment variable filled in. */
export function helpText(spec: OptionSpec): string {
  const help = spec.flag?.help ?? '';
  return help
    .replace('{default}', Array.isArray(spec.default) ? spec.default.join(',') : String(spec.default))
    .replace('{env}', spec.env ?? '');
}

/** The environment layer: each row's variable, parsed by its flag parser; a bad value names the variable. */
export function envLayer(env: Env): OptionLayer {
  const layer: Record<string, unknown> = {};
  for (const [key, spec] of OPTION_ROWS) {
    if (!spec.env) continue;
    const v = env[spec.env];
    if (!v) continue;
    try {
      layer[key] = spec.parse ? spec.parse(v, undefined as never) : v;
    } catch (e) {
      throw new UsageError(`${spec.env}: ${(e as Error).message}`);
    }
  }
  return layer as OptionLayer;
}

// ---- the run id ----

export interface ResolvedRunId {
  runId: string;
  source: 'flag' | 'DOZHIM_RUN_ID' | 'CI_PIPELINE_ID' | 'BUILD_TAG' | 'generated';
}

const nonEmpty = (s: string | undefined): string | undefined => (s && s.trim() !== '' ? s.trim() : undefined);

/** `--run-id` > `DOZHIM_RUN_ID` > GitLab `CI_PIPELINE_ID` > Jenkins `BUILD_TAG` > generated. */
export function resolveRunId(flag: string | undefined, env: Env, now: Date = new Date()): ResolvedRunId {
  const f = nonEmpty(flag);
  if (f) return { runId: f, source: 'flag' };
  const d = nonEmpty(env[RUN_ID_ENV]);
  if (d) {
    // Set on purpose, like --run-id: a bad value is an error, never silently rewritten.
    if (!RUN_ID_PATTERN.test(d)) {
      throw new UsageError(`${RUN_ID_ENV} ${JSON.stringify(d.slice(0, 80))}: ${RUN_ID_RULE}`);
    }
    return { runId: d, source: 'DOZHIM_RUN_ID' };
  }
  const gitlab = nonEmpty(env.CI_PIPELINE_ID);
  if (gitlab) return { runId: sanitizeRunId(gitlab), source: 'CI_PIPELINE_ID' };
  const jenkins = nonEmpty(env.BUILD_TAG);
  if (jenkins) return { runId: sanitizeRunId(jenkins), source: 'BUILD_TAG' };
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  return { runId: `dozhim-${stamp}-${randomBytes(3).toString('hex')}`, source: 'generated' };
}
