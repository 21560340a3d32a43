/** Programmatic API of the dozhim CLI (the `dozhim` binary is a thin wrapper around `main`). */

export { EXIT_CODE_TABLE, ExitCode, exitCodeForDecision, exitCodeForError } from './cli/exit-codes.js';
export { type ResolvedOptions, resolveOptions } from './cli/options.js';
export { createProgram, main } from './cli/program.js';
export { type AttemptCommandOptions, attemptCommand } from './commands/attempt.js';
export { type RunResult, runCommand } from './commands/run.js';
export { type Deps, processDeps } from './deps.js';
export { buildCommand, expandArgv, expandShell, placeholderEnv, shellQuote } from './loop/command-line.js';
export type { RunSummary } from './output/summary.js';
