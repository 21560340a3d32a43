import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { FRAMEWORKS } from './adapters/index.js';
import { attemptCommand } from './commands/attempt.js';
import { decideCommand } from './commands/decide.js';
import { failedCommand } from './commands/failed.js';
import { reportCommand } from './commands/report.js';
import { runCommand } from './commands/run.js';
import { uploadCommand } from './commands/upload.js';
import type { Deps } from './deps.js';
import { EXIT_CODE_TABLE, ExitCode, exitCodeForError } from './exit-codes.js';
import {
  collectRegex,
  JUNIT_REPEATS,
  loadConfigFile,
  type OptionLayer,
  parseCount,
  parseMaxFailedFlag,
  parseRunId,
  parseScheduleFlag,
  parseSeconds,
  parseUrl,
  type ResolvedOptions,
  resolveOptions,
} from './options.js';

/**
 * The `dozhim` program: commander definitions only. Each action resolves its options (flags >
 * config file > defaults) and calls a command function that returns its exit code.
 */

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

function storeOptions(cmd: Command): Command {
  return cmd
    .option(
      '--run-id <id>',
      'run id (default: DOZHIM_RUN_ID, GitLab CI_PIPELINE_ID, Jenkins BUILD_TAG, else generated)',
      parseRunId,
    )
    .option(
      '--reporter <url>',
      'reporter base URL (env DOZHIM_REPORTER_URL); without it: local mode',
      parseUrl,
    )
    .option('--token <token>', 'reporter bearer token (env DOZHIM_TOKEN)')
    .option('--state-dir <dir>', 'local state directory (env DOZHIM_STATE_DIR, default .dozhim)')
    .option('--config <file>', 'config file (default: ./dozhim.config.json when present)');
}

function policyOptions(cmd: Command): Command {
  return cmd
    .option('--max-runs <n>', 'attempts in total, the first included (default 3)', parseCount)
    .option(
      '--max-failed <n|n%>',
      'stop when more tests than this fail in an attempt (default 40)',
      parseMaxFailedFlag,
    )
    .option('--threads <n>', 'threads of the first attempt (default 1)', parseCount)
    .option(
      '--threads-schedule <halve|8,4,2>',
      'threads of later attempts (default halve)',
      parseScheduleFlag,
    )
    .option('--min-threads <n>', 'never fewer threads than this (default 1)', parseCount)
    .option('--no-stop-on-no-progress', 'keep retrying even when a rerun made no failing test pass')
    .option(
      '--retry-on <regex>',
      'only retry failures whose message or type matches (repeatable)',
      collectRegex,
    )
    .option('--quarantine <file>', 'test ids (one a line, # comments) whose failures never fail the run')
    .option('--fail-on-flaky', 'exit 6 when tests passed only on a rerun');
}

function executionOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--framework <name>', 'test framework (default generic)').choices(FRAMEWORKS))
    .option('--junit <glob>', "where the command's JUnit reports appear (default: the framework's)")
    .option('--health-check <command>', 'shell command that must pass before every rerun')
    .option(
      '--health-timeout <seconds>',
      'how long the health check may keep failing (default 60)',
      parseSeconds,
    )
    .option('--before-rerun <command>', 'shell command run before every rerun')
    .option('--attempt-timeout <seconds>', 'kill the test command tree after this long', parseSeconds)
    .option(
      '--shard <K/N>',
      'attempt: run share K of N of attempt 1 (a shard job of a sharded pipeline); run: a shard name',
    )
    .addOption(
      new Option(
        '--junit-repeats <how>',
        "a testcase repeated in one report: retries of one test, or distinct executions (default: the framework's)",
      ).choices(JUNIT_REPEATS),
    )
    .option('--report <file>', 'merged JUnit report (default dozhim-report.xml)')
    .option('--summary-json <file>', 'machine-readable summary');
}

const NOT_CONFIG = new Set(['config', 'json', 'attempt', 'format', 'output', 'rerun']);

/** Only the flags the user gave: defaults come from the config file and DEFAULTS, in that order. */
function explicitFlags(cmd: Command): OptionLayer {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(cmd.opts())) {
    if (NOT_CONFIG.has(key) || cmd.getOptionValueSource(key) !== 'cli') continue;
    out[key] = value;
  }
  return out as OptionLayer;
}

async function resolveFor(
  cmd: Command,
  deps: Deps,
  command: readonly string[] = [],
  overrides: OptionLayer = {},
): Promise<ResolvedOptions> {
  const file = await loadConfigFile(cmd.opts().config as string | undefined, deps.cwd);
  const cli = { ...explicitFlags(cmd), ...overrides };
  return resolveOptions({ cli, file, env: deps.env, cwd: deps.cwd, command });
}

const EXIT_HELP = `\nExit codes:\n${EXIT_CODE_TABLE.map((r) => `  ${r.code.padEnd(6)} ${r.meaning}`).join('\n')}\n`;

export function createProgram(deps: Deps, setExitCode: (code: number) => void): Command {
  const program = new Command('dozhim')
    .description(
      'Run a test command, re-run only the failed tests with fewer threads, stop when retrying cannot help.',
    )
    .version(pkg.version, '-V, --version')
    .enablePositionalOptions()
    .showHelpAfterError()
    .addHelpText('after', EXIT_HELP);

  const run = program
    .command('run')
    .summary('run the test command and its reruns until the policy stops')
    .description(
      'Run the test command, then re-run only the failed tests with fewer threads until they pass or the policy stops.',
    )
    .argument(
      '[command...]',
      'the test command, after -- (placeholders: {threads} {tests} {testList} {attempt} {runId} {junit})',
    )
    .passThroughOptions()
    .addHelpText('after', EXIT_HELP);
  executionOptions(policyOptions(storeOptions(run))).action(async (command: string[], _o, cmd: Command) => {
    const options = await resolveFor(cmd, deps, command);
    setExitCode((await runCommand(options, deps)).exitCode);
  });

  const attempt = program
    .command('attempt')
    .summary('run one attempt of a run (pipelines with one job per attempt)')
    .argument('[command...]', 'the test command, after --')
    .option('--attempt <n>', 'attempt number (default: the one after the last recorded)', parseCount)
    .option(
      '--rerun',
      'the retry job of a sharded pipeline: only rerun; refuse when attempt 1 is missing or incomplete',
    )
    .option('--json', 'print the attempt and its decision as JSON on stdout (everything else on stderr)')
    .passThroughOptions();
  executionOptions(policyOptions(storeOptions(attempt))).action(
    async (command: string[], o, cmd: Command) => {
      const options = await resolveFor(cmd, deps, command);
      const result = await attemptCommand(
        {
          ...options,
          json: Boolean(o.json),
          rerun: Boolean(o.rerun),
          ...(o.attempt !== undefined ? { attempt: o.attempt as number } : {}),
        },
        deps,
      );
      if (o.json) deps.stdout.write(`${JSON.stringify(result.report)}\n`);
      setExitCode(result.exitCode);
    },
  );

  const failed = program
    .command('failed')
    .summary("print the run's currently failing tests")
    .option('--format <id|framework>', "canonical ids, or a framework's selectors", 'id')
    .option('--json', 'JSON with ids, selectors and selection arguments');
  storeOptions(failed).action(async (o, cmd: Command) => {
    const options = await resolveFor(cmd, deps);
    setExitCode(
      (await failedCommand({ ...options, format: String(o.format), json: Boolean(o.json) }, deps)).exitCode,
    );
  });

  const upload = program
    .command('upload')
    .summary('store JUnit files as (a shard of) an attempt')
    .argument('<files...>', 'JUnit XML files')
    .requiredOption('--attempt <n>', 'attempt number', parseCount)
    .option('--shard <name>', 'shard name, K/N for share K of N (records the shard total)');
  storeOptions(upload).action(async (files: string[], o, cmd: Command) => {
    const options = await resolveFor(cmd, deps);
    setExitCode((await uploadCommand({ ...options, attempt: o.attempt as number, files }, deps)).exitCode);
  });

  const decideCmd = program
    .command('decide')
    .summary('print the policy decision for the run as it stands')
    .option('--json', 'the full decision as JSON');
  policyOptions(storeOptions(decideCmd)).action(async (o, cmd: Command) => {
    const options = await resolveFor(cmd, deps);
    setExitCode((await decideCommand({ ...options, json: Boolean(o.json) }, deps)).exitCode);
  });

  const report = program
    .command('report')
    .summary("write the run's merged JUnit report")
    .option('-o, --output <file>', 'output file (default dozhim-report.xml)');
  storeOptions(report).action(async (o, cmd: Command) => {
    const options = await resolveFor(cmd, deps, [], o.output ? { report: String(o.output) } : {});
    setExitCode((await reportCommand(options, deps)).exitCode);
  });

  return program;
}

/** Parses argv (without node and script), runs the command, and returns the exit code. Never exits. */
export async function main(argv: readonly string[], deps: Deps): Promise<number> {
  let exitCode: number = ExitCode.Passed;
  const program = createProgram(deps, (code) => {
    exitCode = code;
  });
  const configureAll = (cmd: Command): void => {
    cmd.exitOverride();
    cmd.configureOutput({ writeOut: (s) => deps.stdout.write(s), writeErr: (s) => deps.stderr.write(s) });
    for (const sub of cmd.commands) configureAll(sub);
  };
  configureAll(program);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (e) {
    // Commander has already printed its own message (usage errors, help, version).
    if (!(e instanceof CommanderError)) deps.stderr.write(`dozhim: error: ${(e as Error).message}\n`);
    return exitCodeForError(e);
  }
}
