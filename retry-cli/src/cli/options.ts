import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import {
  DEFAULT_POLICY,
  type MaxFailed,
  type PolicyOptions,
  parseMaxFailed,
  parseThreadsSchedule,
  type ThreadsSchedule,
} from '@dozhim/core';
import type { FrameworkName } from '../adapters/types.js';
import type { Env } from './ci-env.js';
import type { ConfigFile } from './config-file.js';
import { UsageError } from './exit-codes.js';
import { CONFIG_FILE_NAME, DEFAULTS, envLayer, type JUnitRepeats, type OptionLayer } from './option-table.js';

/**
 * Options of the commands that run or judge attempts, merged from layers: command-line flags win over
 * environment variables, which win over `dozhim.config.json` (zod-validated), which wins over
 * defaults. Each option's flag, variable, config key and default are rows of cli/option-table.ts.
 * Flags are validated as commander parses them, so each layer arrives typed.
 */

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
  junitRepeats?: JUnitRepeats;
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
