import type { CommandAdditions } from './types.js';

/**
 * Builds the final argv from the user's command and the adapter's additions: `prepend` elements go in
 * front of the user's first `--` (or right after the program when there is none), `args` go at the end.
 * Pure: the caller spawns argv[0] with argv.slice(1), never through a shell.
 */
export function applyAdditions(argv: readonly string[], additions: readonly CommandAdditions[]): string[] {
  const prepend = additions.flatMap((a) => a.prepend ?? []);
  const append = additions.flatMap((a) => a.args);
  if (argv.length === 0) return [...prepend, ...append];
  const sep = argv.indexOf('--', 1);
  const at = sep < 0 ? 1 : sep;
  return [...argv.slice(0, at), ...prepend, ...argv.slice(at), ...append];
}

/** Merges the env of several additions (later ones win). */
export function mergeEnv(additions: readonly CommandAdditions[]): Record<string, string> {
  return Object.assign({}, ...additions.map((a) => a.env)) as Record<string, string>;
}

export const NONE: CommandAdditions = Object.freeze({ args: [], env: {} }) as CommandAdditions;

/** The program of a command: argv[0], or the first word of a one-string shell command. */
export function programOf(command: readonly string[]): string {
  const first = command.length === 1 ? (command[0] ?? '').trim().split(/\s+/)[0] : command[0];
  return first ?? '';
}
