/** Programmatic API of the dozhim CLI (the `dozhim` binary is a thin wrapper around `main`). */

export { buildCommand, expandArgv, expandShell, placeholderEnv, shellQuote } from './command-line.js';
export { type AttemptCommandOptions, attemptCommand } from './commands/attempt.js';
export { type RunResult, runCommand } from './commands/run.js';
export { type Deps, processDeps } from './deps.js';
export { EXIT_CODE_TABLE, ExitCode, exitCodeForDecision, exitCodeForError } from './exit-codes.js';
export { type ResolvedOptions, resolveOptions } from './options.js';
export { createProgram, main } from './program.js';
export type { RunSummary } from './summary.js';
