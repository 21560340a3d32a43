import type { ResolvedOptions } from '../cli/options.js';
import type { Deps } from '../deps.js';
import type { Printer } from '../output/output.js';
import type { CommandSpec } from './command-line.js';
import type { ProcessResult } from './process-runner.js';

/**
 * Process supervision of one attempt's test command: signals forwarded to its process group, a grace
 * period, then the whole tree killed. Spawning itself is process-runner.ts.
 */

/** What supervision needs of an attempt's context. */
export interface SupervisedContext {
  deps: Pick<Deps, 'spawn' | 'env' | 'onSignal'>;
  options: Pick<ResolvedOptions, 'cwd' | 'attemptTimeoutMs'>;
  printer: Pick<Printer, 'warn' | 'child'>;
  /** Aborted (reason = the signal name) when dozhim receives SIGINT/SIGTERM. */
  abort: AbortSignal;
}

/** After forwarding a signal, how long the suite may take to wind down before its tree is killed. */
const SIGNAL_GRACE_MS = 10_000;

/** The signal dozhim received (the abort reason); SIGTERM when none was given. */
export const signalOf = (abort: AbortSignal): NodeJS.Signals =>
  (abort.reason as NodeJS.Signals | undefined) ?? 'SIGTERM';

/**
 * Spawns the command and waits for it. A signal to dozhim is forwarded to the command's process
 * group; the group then gets a grace period, a second signal or its end kills the whole tree.
 */
export async function supervise(ctx: SupervisedContext, spec: CommandSpec): Promise<ProcessResult> {
  const { deps, options, printer } = ctx;
  const proc = deps.spawn(
    {
      file: spec.file,
      args: spec.args,
      env: { ...deps.env, ...spec.env },
      cwd: options.cwd,
      ...(options.attemptTimeoutMs ? { timeoutMs: options.attemptTimeoutMs } : {}),
    },
    printer.child,
  );
  let graceTimer: NodeJS.Timeout | undefined;
  let unsubscribeSecond: (() => void) | undefined;
  const onAbort = (): void => {
    const sig = signalOf(ctx.abort);
    printer.warn(`\ndozhim: received ${sig}, forwarding it to the test process group\n`);
    proc.signalGroup(sig);
    graceTimer = setTimeout(() => proc.killTree(), SIGNAL_GRACE_MS);
    // A second Ctrl-C means "now": no more grace.
    unsubscribeSecond = deps.onSignal(() => {
      printer.warn('dozhim: second signal, killing the test process tree\n');
      proc.killTree();
    });
  };
  if (ctx.abort.aborted) onAbort();
  else ctx.abort.addEventListener('abort', onAbort, { once: true });
  try {
    const result = await proc.result;
    if ((ctx.abort.aborted || result.timedOut) && !(await proc.groupGone(SIGNAL_GRACE_MS))) {
      // The suite's own children (workers, browsers) got the signal too: do not leave before
      // they are gone, and past the grace period kill them.
      proc.killTree();
      await proc.groupGone(1000);
    }
    return result;
  } finally {
    ctx.abort.removeEventListener('abort', onAbort);
    if (graceTimer) clearTimeout(graceTimer);
    unsubscribeSecond?.();
  }
}
