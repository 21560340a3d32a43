import { MAX_IDENT_CHARS } from '@dozhim/core';
import { Command, CommanderError, Option } from 'commander';
import { z } from 'zod';

/** Parses `52428800`, `50mb`, `512kb`, `1gb` (binary units) into bytes. */
export function parseSize(input: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(input);
  if (!m) throw new RangeError(`"${input}" is not a size like 52428800, 512kb or 50mb`);
  const unit = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[(m[2] ?? 'b').toLowerCase() as 'b'];
  return Math.floor(Number(m[1]) * unit);
}

const size = z.string().transform((s, ctx) => {
  try {
    return parseSize(s);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});

const intIn = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const token = z.string().min(8, 'tokens must be at least 8 characters');

/**
 * One row of the reporter's configuration. The row is the only place a setting is named: its flag,
 * its help line (ending in `(env NAME, default VALUE)`), its environment variable, its zod schema and
 * its default are all read from it by loadConfig. Adding a setting is adding a row.
 */
export interface ConfigRow<S extends z.ZodType = z.ZodType> {
  /** Commander flag, e.g. `--port <port>`. Absent: environment only (a secret never goes on a command line). */
  flag?: string;
  env: string;
  /** What the setting does; the environment variable and the default are appended. */
  help: string;
  /** Validates the text of the flag or variable (strings in, the typed value out). */
  schema: S;
  /** The typed value when neither flag nor variable is set. Absent: the key stays undefined. */
  default?: z.output<S>;
  /** How help shows the default: required when it is not `String(default)` or there is none. */
  defaultText?: string;
}

/** Keeps a row's literal `default` type, so the Config type knows which keys are always set. */
function row<S extends z.ZodType, D extends z.output<S> | undefined = undefined>(
  spec: ConfigRow<S> & { default?: D },
): ConfigRow<S> & { default: D } {
  return spec as ConfigRow<S> & { default: D };
}

/** Rows in help order. */
export const CONFIG_TABLE = {
  port: row({
    flag: '--port <port>',
    env: 'DOZHIM_PORT',
    help: 'port to listen on; 0 = ephemeral',
    schema: intIn(0, 65535),
    default: 8080,
  }),
  host: row({
    flag: '--host <host>',
    env: 'DOZHIM_HOST',
    help: 'address to bind; 0.0.0.0 in containers',
    schema: z.string().min(1),
    default: '127.0.0.1',
  }),
  db: row({
    flag: '--db <path>',
    env: 'DOZHIM_DB',
    help: 'SQLite file, created with its folder',
    schema: z.string().min(1),
    default: './data/dozhim.sqlite',
  }),
  maxBodyBytes: row({
    flag: '--max-body <size>',
    env: 'DOZHIM_MAX_BODY',
    help: 'largest request body, also after gunzip',
    schema: size.pipe(z.number().int().min(1024, 'max body must be at least 1kb')),
    default: 50 * 1024 * 1024,
    defaultText: '50mb',
  }),
  maxBatch: row({
    flag: '--max-batch <n>',
    env: 'DOZHIM_MAX_BATCH',
    help: 'most results per JSON upload',
    schema: intIn(1, 1_000_000),
    default: 10_000,
  }),
  maxQueuedUploads: row({
    flag: '--max-queued-uploads <n>',
    env: 'DOZHIM_MAX_QUEUED_UPLOADS',
    help: 'uploads received or waiting at once; more get 503',
    schema: intIn(1, 10_000),
    default: 32,
  }),
  requestTimeoutMs: row({
    flag: '--request-timeout <ms>',
    env: 'DOZHIM_REQUEST_TIMEOUT_MS',
    help: 'time to receive a whole request',
    schema: intIn(1000, 3_600_000),
    default: 120_000,
  }),
  headersTimeoutMs: row({
    flag: '--headers-timeout <ms>',
    env: 'DOZHIM_HEADERS_TIMEOUT_MS',
    help: 'time to receive the request headers',
    schema: intIn(500, 3_600_000),
    // Unset: main.ts takes min(30 s, requestTimeoutMs).
    defaultText: 'min(30000, request timeout)',
  }),
  drainTimeoutMs: row({
    flag: '--drain-timeout <ms>',
    env: 'DOZHIM_DRAIN_TIMEOUT_MS',
    help: 'on SIGTERM, time in-flight requests get before queued uploads get 503 and sockets close',
    schema: intIn(1000, 600_000),
    default: 10_000,
  }),
  maxUploadsPerClient: row({
    flag: '--max-uploads-per-client <n>',
    env: 'DOZHIM_MAX_UPLOADS_PER_CLIENT',
    help: 'upload slots one remote address may hold',
    schema: intIn(1, 10_000),
    // Unset: admission.ts leaves an eighth of maxQueuedUploads free, so one address never holds every slot.
    defaultText: 'all but an eighth of --max-queued-uploads',
  }),
  maxTestcases: row({
    flag: '--max-testcases <n>',
    env: 'DOZHIM_MAX_TESTCASES',
    help: 'most testcases in one upload',
    schema: intIn(1, 10_000_000),
    default: 200_000,
  }),
  maxFieldBytes: row({
    flag: '--max-field-bytes <n>',
    env: 'DOZHIM_MAX_FIELD_BYTES',
    help: 'most UTF-8 bytes in a test id, name, classname, suite or file',
    schema: intIn(256, 16 * 1024 * 1024),
    // The JSON API's own cap on identity texts (wire ResultInput), so both ways in agree.
    default: MAX_IDENT_CHARS,
  }),
  maxProperties: row({
    flag: '--max-properties <n>',
    env: 'DOZHIM_MAX_PROPERTIES',
    help: "most properties on one testcase, its suite's included",
    schema: intIn(0, 1_000_000),
    default: 1000,
  }),
  maxRunResults: row({
    flag: '--max-run-results <n>',
    env: 'DOZHIM_MAX_RUN_RESULTS',
    help: 'most results one run may hold, all attempts',
    schema: intIn(1, 1_000_000_000),
    default: 2_000_000,
  }),
  allowedHosts: row({
    flag: '--allowed-hosts <list>',
    env: 'DOZHIM_ALLOWED_HOSTS',
    help: 'Host header names accepted, comma-separated, or *',
    // Host names without port, lower case. Unset: see allowedHosts() below.
    schema: z.string().transform((s) =>
      s
        .split(',')
        .map((h) => h.trim().toLowerCase())
        .filter((h) => h.length > 0),
    ),
    defaultText: 'loopback names on loopback',
  }),
  retentionDays: row({
    flag: '--retention-days <n>',
    env: 'DOZHIM_RETENTION_DAYS',
    help: 'remove runs not written for this many days; 0 = keep forever',
    schema: intIn(0, 36_500),
    default: 90,
  }),
  retentionIntervalMs: row({
    flag: '--retention-interval <ms>',
    env: 'DOZHIM_RETENTION_INTERVAL_MS',
    help: 'how often the retention job runs (the first pass at most 5 s after start)',
    schema: intIn(100, 7 * 24 * 3_600_000),
    default: 3_600_000,
  }),
  logLevel: row({
    flag: '--log-level <level>',
    env: 'DOZHIM_LOG_LEVEL',
    help: 'pino level or silent',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    default: 'info',
  }),
  token: row({
    env: 'DOZHIM_TOKEN',
    help: 'write token: writes need Authorization: Bearer <token>',
    schema: token,
    defaultText: 'unset, writes open',
  }),
  readToken: row({
    env: 'DOZHIM_READ_TOKEN',
    help: 'read token: reads need it or the write token; needs DOZHIM_TOKEN',
    schema: token,
    defaultText: 'unset, reads open',
  }),
};

type Table = typeof CONFIG_TABLE;
export type ConfigKey = keyof Table;
type Shape = {
  [K in ConfigKey]: Table[K]['default'] extends undefined
    ? z.ZodOptional<Table[K]['schema']>
    : z.ZodDefault<Table[K]['schema']>;
};

type Row = readonly [ConfigKey, ConfigRow];
export const CONFIG_ROWS: readonly Row[] = Object.entries(CONFIG_TABLE) as unknown as Row[];

type DefaultedKey = { [K in ConfigKey]: Table[K]['default'] extends undefined ? never : K }[ConfigKey];
/** The default of every row that has one: for callers of createApp that leave a limit out (tests). */
export const CONFIG_DEFAULTS = Object.fromEntries(
  CONFIG_ROWS.flatMap(([key, r]) => (r.default === undefined ? [] : [[key, r.default]])),
) as { [K in DefaultedKey]: NonNullable<Table[K]['default']> };

export const ConfigSchema = z
  .object(
    Object.fromEntries(
      CONFIG_ROWS.map(([key, r]) => [
        key,
        r.default === undefined ? r.schema.optional() : r.schema.default(r.default as never),
      ]),
    ) as Shape,
  )
  // A read token alone would close reads and leave writes open: refuse that at start.
  .refine((c) => !c.readToken || c.token, {
    message:
      'DOZHIM_READ_TOKEN needs DOZHIM_TOKEN too (otherwise writes would stay open while reads are closed)',
    path: ['readToken'],
  });

export type Config = z.infer<typeof ConfigSchema>;

/** A row's help line: what it does, then `(env NAME, default VALUE)`. */
export function configHelp(r: ConfigRow): string {
  return `${r.help} (env ${r.env}, default ${defaultText(r)})`;
}

function defaultText(r: ConfigRow): string {
  return r.defaultText ?? String(r.default);
}

/** Bad flags or variables: message for the user, and the process exit code (2; 0 for --help). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Flags win over environment variables, which win over defaults. Tokens come from the environment only. */
export function loadConfig(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  write: (s: string) => void = () => {},
): Config {
  const program = new Command('dozhim-reporter')
    .description('Stores per-run, per-attempt test results for CI-level retries (see reporter/README.md).')
    .exitOverride()
    .configureOutput({ writeOut: write, writeErr: write })
    .helpOption('-h, --help', 'show this help');
  const flagOf = new Map<ConfigKey, Option>();
  for (const [key, r] of CONFIG_ROWS) {
    if (!r.flag) continue;
    const option = new Option(r.flag, configHelp(r));
    program.addOption(option);
    flagOf.set(key, option);
  }
  const envOnly = CONFIG_ROWS.filter(([, r]) => !r.flag).map(([, r]) => r);
  const width = Math.max(...envOnly.map((r) => r.env.length));
  const lines = envOnly.map((r) => `  ${r.env.padEnd(width)}  ${r.help} (default ${defaultText(r)})`);
  program.addHelpText('after', `\nEnvironment only (never a flag):\n${lines.join('\n')}`);
  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      const help = e.code === 'commander.helpDisplayed' || e.code === 'commander.help';
      throw new ConfigError(help ? '' : e.message.replace(/^error: /, ''), help ? 0 : 2);
    }
    throw e;
  }
  const flags = program.opts<Record<string, string | undefined>>();
  const raw: Record<string, string | undefined> = {};
  for (const [key, r] of CONFIG_ROWS) {
    const fromFlag = flagOf.has(key) ? flags[flagOf.get(key)!.attributeName()] : undefined;
    const fromEnv = env[r.env] === '' ? undefined : env[r.env];
    raw[key] = fromFlag ?? fromEnv;
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const key = String(i.path[0] ?? '');
      const envName = CONFIG_TABLE[key as ConfigKey]?.env;
      return `  ${key}${envName ? ` (${envName})` : ''}: ${i.message}`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`, 2);
  }
  return parsed.data;
}

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]', '::1'];

/** True for addresses only this machine can reach (where DNS rebinding is the remaining attack). */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The Host names to accept, or undefined for any. Default: bound to loopback, only loopback names
 * (a browser tricked by DNS rebinding sends the attacker's name); bound elsewhere, any (a container
 * behind a proxy sees names the reporter cannot know).
 */
export function allowedHosts(config: Pick<Config, 'host' | 'allowedHosts'>): string[] | undefined {
  if (config.allowedHosts) return config.allowedHosts.includes('*') ? undefined : config.allowedHosts;
  if (!isLoopback(config.host)) return undefined;
  return [...new Set([...LOOPBACK_HOSTS, config.host.toLowerCase()])];
}
