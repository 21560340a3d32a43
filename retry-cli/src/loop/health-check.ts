import type { Deps } from '../deps.js';

/**
 * Shell hooks around reruns: `--health-check` (polled with backoff until it passes or the time is
 * up, so a rerun is not burnt on a dead stand) and `--before-rerun`.
 */

export interface ShellHookContext {
  deps: Pick<Deps, 'spawn' | 'stdout' | 'stderr' | 'now' | 'sleep'>;
  cwd: string;
  env: Record<string, string | undefined>;
  abort: AbortSignal;
}

/** Runs `sh -c command` with output streamed; resolves to its exit code (null: killed / not started). */
export async function runShell(
  command: string,
  ctx: ShellHookContext,
  timeoutMs?: number,
): Promise<number | null> {
  const proc = ctx.deps.spawn(
    {
      file: '/bin/sh',
      args: ['-c', command],
      env: ctx.env,
      cwd: ctx.cwd,
      ...(timeoutMs ? { timeoutMs } : {}),
    },
    { stdout: ctx.deps.stdout, stderr: ctx.deps.stderr },
  );
  const onAbort = (): void => proc.signalGroup('SIGTERM');
  ctx.abort.addEventListener('abort', onAbort, { once: true });
  try {
    return (await proc.result).exitCode;
  } finally {
    ctx.abort.removeEventListener('abort', onAbort);
  }
}

export interface HealthResult {
  healthy: boolean;
  tries: number;
  elapsedMs: number;
}

/** Backoff between health checks: 0.5 s, 1 s, 2 s, ... capped at 10 s. */
export const healthBackoffMs = (tryNumber: number): number => Math.min(500 * 2 ** (tryNumber - 1), 10_000);

export async function waitHealthy(
  command: string,
  timeoutMs: number,
  ctx: ShellHookContext,
): Promise<HealthResult> {
  const started = ctx.deps.now();
  for (let tries = 1; ; tries++) {
    const elapsed = ctx.deps.now() - started;
    const code = await runShell(command, ctx, Math.max(1000, timeoutMs - elapsed));
    const elapsedMs = ctx.deps.now() - started;
    if (code === 0) return { healthy: true, tries, elapsedMs };
    if (ctx.abort.aborted || elapsedMs >= timeoutMs) return { healthy: false, tries, elapsedMs };
    const wait = Math.min(healthBackoffMs(tries), timeoutMs - elapsedMs);
    ctx.deps.stderr.write(`dozhim: health check failed (exit ${code ?? 'killed'}), retrying in ${wait}ms\n`);
    await ctx.deps.sleep(wait, ctx.abort);
  }
}
