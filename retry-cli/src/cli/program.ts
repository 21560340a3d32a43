import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { attemptCommand } from '../commands/attempt.js';
import { decideCommand } from '../commands/decide.js';
import { failedCommand } from '../commands/failed.js';
import { reportCommand } from '../commands/report.js';
import { runCommand } from '../commands/run.js';
import { uploadCommand } from '../commands/upload.js';
import type { Deps } from '../deps.js';
import { EXIT_CODE_TABLE, ExitCode, exitCodeForError } from './exit-codes.js';
import {
  CONFIG_FILE_NAME,
  DEFAULTS,
  helpText,
  OPTION_ROWS,
  type OptionGroup,
  type OptionLayer,
  parseCount,
} from './option-table.js';
import { loadConfigFile, type ResolvedOptions, resolveOptions } from './options.js';

/**
 * The `dozhim` program: commander definitions only. Each action resolves its options (flags >
 * config file > defaults) and calls a command function that returns its exit code.
 */

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** Adds the option table's flags of one group, in table order. */
function addGroup(cmd: Command, group: OptionGroup): Command {
  for (const [, spec] of OPTION_ROWS) {
    if (spec.flag?.group !== group) continue;
    const option = new Option(spec.flag.flags, helpText(spec));
    if (spec.flag.choices) option.choices(spec.flag.choices);
    else if (spec.parse) option.argParser(spec.parse as (value: string, previous: unknown) => unknown);
    cmd.addOption(option);
  }
  return cmd;
}

function storeOptions(cmd: Command): Command {
  return addGroup(cmd, 'store').option(
    '--config <file>',
    `config file (default: ./${CONFIG_FILE_NAME} when present)`,
  );
}

const policyOptions = (cmd: Command): Command => addGroup(cmd, 'policy');
const executionOptions = (cmd: Command): Command => addGroup(cmd, 'execution');

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
    .option('-o, --output <file>', `output file (default ${DEFAULTS.report})`);
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
