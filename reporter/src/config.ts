import { Command, CommanderError } from 'commander';
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
const token = z.string().min(8, 'tokens must be at least 8 characters').optional();

export const ConfigSchema = z
  .object({
    port: intIn(0, 65535).default(8080),
    host: z.string().min(1).default('127.0.0.1'),
    db: z.string().min(1).default('./data/dozhim.sqlite'),
    maxBodyBytes: size
      .pipe(z.number().int().min(1024, 'max body must be at least 1kb'))
      .default(50 * 1024 * 1024),
    maxBatch: intIn(1, 1_000_000).default(10_000),
    maxQueuedUploads: intIn(1, 10_000).default(32),
    requestTimeoutMs: intIn(1000, 3_600_000).default(120_000),
    drainTimeoutMs: intIn(1000, 600_000).default(10_000),
    /** Unset: min(30 s, requestTimeoutMs). */
    headersTimeoutMs: intIn(500, 3_600_000).optional(),
    /** Unset: all but an eighth of maxQueuedUploads (admission.ts), so one address never holds every slot. */
    maxUploadsPerClient: intIn(1, 10_000).optional(),
    maxTestcases: intIn(1, 10_000_000).default(200_000),
    maxFieldBytes: intIn(256, 16 * 1024 * 1024).default(65_536),
    maxProperties: intIn(0, 1_000_000).default(1000),
    /** Comma-separated Host names (no port) or `*`. Unset: loopback names when bound to loopback, else any. */
    allowedHosts: z
      .string()
      .transform((s) =>
        s
          .split(',')
          .map((h) => h.trim().toLowerCase())
          .filter((h) => h.length > 0),
      )
      .optional(),
    /** Runs not written for this many days are removed by the retention job; 0 = keep forever. */
    retentionDays: intIn(0, 36_500).default(90),
    /** How often the retention job runs (its first pass comes at most 5 s after start). */
    retentionIntervalMs: intIn(100, 7 * 24 * 3_600_000).default(3_600_000),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    token,
    readToken: token,
  })
  // A read token alone would close reads and leave writes open: refuse that at start.
  .refine((c) => !c.readToken || c.token, {
    message:
      'DOZHIM_READ_TOKEN needs DOZHIM_TOKEN too (otherwise writes would stay open while reads are closed)',
    path: ['readToken'],
  });

export type Config = z.infer<typeof ConfigSchema>;

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

const ENV: Record<string, keyof Config> = {
  DOZHIM_PORT: 'port',
  DOZHIM_HOST: 'host',
  DOZHIM_DB: 'db',
  DOZHIM_MAX_BODY: 'maxBodyBytes',
  DOZHIM_MAX_BATCH: 'maxBatch',
  DOZHIM_MAX_QUEUED_UPLOADS: 'maxQueuedUploads',
  DOZHIM_REQUEST_TIMEOUT_MS: 'requestTimeoutMs',
  DOZHIM_HEADERS_TIMEOUT_MS: 'headersTimeoutMs',
  DOZHIM_DRAIN_TIMEOUT_MS: 'drainTimeoutMs',
  DOZHIM_MAX_UPLOADS_PER_CLIENT: 'maxUploadsPerClient',
  DOZHIM_MAX_TESTCASES: 'maxTestcases',
  DOZHIM_MAX_FIELD_BYTES: 'maxFieldBytes',
  DOZHIM_MAX_PROPERTIES: 'maxProperties',
  DOZHIM_ALLOWED_HOSTS: 'allowedHosts',
  DOZHIM_RETENTION_DAYS: 'retentionDays',
  DOZHIM_RETENTION_INTERVAL_MS: 'retentionIntervalMs',
  DOZHIM_LOG_LEVEL: 'logLevel',
  DOZHIM_TOKEN: 'token',
  DOZHIM_READ_TOKEN: 'readToken',
};

/** Flags win over environment variables, which win over defaults. Tokens come from the environment only. */
export function loadConfig(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  write: (s: string) => void = () => {},
): Config {
  const program = new Command('dozhim-reporter')
    .description('Stores per-run, per-attempt test results for CI-level retries (see reporter/README.md).')
    .option('--port <port>', 'port to listen on; 0 = ephemeral (env DOZHIM_PORT, default 8080)')
    .option('--host <host>', 'address to bind; 0.0.0.0 in containers (env DOZHIM_HOST, default 127.0.0.1)')
    .option(
      '--db <path>',
      'SQLite file, created with its folder (env DOZHIM_DB, default ./data/dozhim.sqlite)',
    )
    .option(
      '--max-body <size>',
      'largest request body, also after gunzip (env DOZHIM_MAX_BODY, default 50mb)',
    )
    .option('--max-batch <n>', 'most results per JSON upload (env DOZHIM_MAX_BATCH, default 10000)')
    .option(
      '--max-queued-uploads <n>',
      'uploads received or waiting at once; more get 503 (env DOZHIM_MAX_QUEUED_UPLOADS, default 32)',
    )
    .option(
      '--request-timeout <ms>',
      'time to receive a whole request (env DOZHIM_REQUEST_TIMEOUT_MS, default 120000)',
    )
    .option(
      '--headers-timeout <ms>',
      'time to receive the request headers (env DOZHIM_HEADERS_TIMEOUT_MS, default min(30000, request timeout))',
    )
    .option(
      '--drain-timeout <ms>',
      'on SIGTERM, time in-flight requests get before queued uploads get 503 and sockets close (env DOZHIM_DRAIN_TIMEOUT_MS, default 10000)',
    )
    .option(
      '--max-uploads-per-client <n>',
      'upload slots one remote address may hold (env DOZHIM_MAX_UPLOADS_PER_CLIENT, default all but an eighth of --max-queued-uploads)',
    )
    .option('--max-testcases <n>', 'most testcases in one upload (env DOZHIM_MAX_TESTCASES, default 200000)')
    .option(
      '--max-field-bytes <n>',
      'most UTF-8 bytes in a test id, name, classname, suite or file (env DOZHIM_MAX_FIELD_BYTES, default 65536)',
    )
    .option(
      '--max-properties <n>',
      "most properties on one testcase, its suite's included (env DOZHIM_MAX_PROPERTIES, default 1000)",
    )
    .option(
      '--allowed-hosts <list>',
      'Host header names accepted, comma-separated, or * (env DOZHIM_ALLOWED_HOSTS, default loopback names on loopback)',
    )
    .option(
      '--retention-days <n>',
      'remove runs not written for this many days; 0 = keep forever (env DOZHIM_RETENTION_DAYS, default 90)',
    )
    .option(
      '--retention-interval <ms>',
      'how often the retention job runs (env DOZHIM_RETENTION_INTERVAL_MS, default 3600000)',
    )
    .option('--log-level <level>', 'pino level or silent (env DOZHIM_LOG_LEVEL, default info)')
    .exitOverride()
    .configureOutput({ writeOut: write, writeErr: write })
    .helpOption('-h, --help', 'show this help');
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
  for (const [name, key] of Object.entries(ENV))
    if (env[name] !== undefined && env[name] !== '') raw[key] = env[name];
  const fromFlags: Record<string, string | undefined> = {
    port: flags.port,
    host: flags.host,
    db: flags.db,
    maxBodyBytes: flags.maxBody,
    maxBatch: flags.maxBatch,
    maxQueuedUploads: flags.maxQueuedUploads,
    requestTimeoutMs: flags.requestTimeout,
    headersTimeoutMs: flags.headersTimeout,
    drainTimeoutMs: flags.drainTimeout,
    maxUploadsPerClient: flags.maxUploadsPerClient,
    maxTestcases: flags.maxTestcases,
    maxFieldBytes: flags.maxFieldBytes,
    maxProperties: flags.maxProperties,
    allowedHosts: flags.allowedHosts,
    retentionDays: flags.retentionDays,
    retentionIntervalMs: flags.retentionInterval,
    logLevel: flags.logLevel,
  };
  for (const [k, v] of Object.entries(fromFlags)) if (v !== undefined) raw[k] = v;
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const key = String(i.path[0] ?? '');
      const envName = Object.entries(ENV).find(([, k]) => k === key)?.[0];
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
