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
