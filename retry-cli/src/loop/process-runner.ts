import { spawn } from 'node:child_process';
import treeKill from 'tree-kill';

/**
 * Spawns the test command in its own process group, streams its output live, and lets the caller
 * forward signals to the whole group (so `pytest -n 8` workers, browsers and servers started by the
 * suite end too). On timeout the whole tree is killed with tree-kill, which also finds descendants
 * that moved to another group.
 */

export interface SpawnSpec {
  file: string;
  args: string[];
  env: Record<string, string | undefined>;
  cwd: string;
  /** Kill the tree after this long (0 or undefined: no limit). */
  timeoutMs?: number;
}

export interface Sink {
  write(chunk: string | Uint8Array): void;
}

export interface ProcessResult {
  /** Exit status, or null when killed by a signal or never started. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started (ENOENT, EACCES...). */
  spawnError?: NodeJS.ErrnoException;
  timedOut: boolean;
  durationMs: number;
}

export interface RunningProcess {
  readonly pid: number | undefined;
  readonly result: Promise<ProcessResult>;
  /** Sends a signal to the whole process group. */
  signalGroup(signal: NodeJS.Signals): void;
  /** Kills the whole tree (SIGKILL), for timeouts and processes that ignore SIGTERM. */
  killTree(): void;
  /**
   * Resolves true once no process of the group is left (the command's own exit does not mean its
   * children, which got the same signal, are gone yet), false after `timeoutMs`.
   */
  groupGone(timeoutMs: number): Promise<boolean>;
}

const groupAlive = (pgid: number): boolean => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};

export type ProcessSpawner = (spec: SpawnSpec, io: { stdout: Sink; stderr: Sink }) => RunningProcess;

const PIPE_GRACE_MS = 1000;

const fdOf = (sink: Sink): 1 | 2 | undefined =>
  sink === process.stdout ? 1 : sink === process.stderr ? 2 : undefined;

export const spawnProcess: ProcessSpawner = (spec, io) => {
  const started = performance.now();
  const child = spawn(spec.file, spec.args, {
    cwd: spec.cwd,
    env: spec.env as NodeJS.ProcessEnv,
    // Own process group: signals reach every descendant, and a Ctrl-C in a terminal does not hit
    // the suite twice (once from the terminal, once forwarded by us).
    detached: true,
    // Our own stdout/stderr are passed as file descriptors: the command sees the real terminal
    // (colours, progress bars) and its output needs no copying. Other sinks get a pipe.
    stdio: ['ignore', fdOf(io.stdout) ?? 'pipe', fdOf(io.stderr) ?? 'pipe'],
  });
  child.stdout?.on('data', (c: Buffer) => io.stdout.write(c));
  child.stderr?.on('data', (c: Buffer) => io.stderr.write(c));

  // The group may outlive its leader: signal it as long as any member is left.
  const signalGroup = (signal: NodeJS.Signals): void => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // The group is already gone.
    }
  };
  const killTree = (): void => {
    if (child.pid === undefined) return;
    signalGroup('SIGKILL');
    treeKill(child.pid, 'SIGKILL', () => undefined);
  };

  const result = new Promise<ProcessResult>((resolve) => {
    let timedOut = false;
    let spawnError: NodeJS.ErrnoException | undefined;
    const timer =
      spec.timeoutMs && spec.timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            killTree();
          }, spec.timeoutMs)
        : undefined;
    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnError = e;
      // 'close' does not follow a failed spawn.
      if (child.pid === undefined) {
        if (timer) clearTimeout(timer);
        resolve({
          exitCode: null,
          signal: null,
          spawnError,
          timedOut,
          durationMs: performance.now() - started,
        });
      }
    });
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (timer) clearTimeout(timer);
      resolve({
        exitCode: code,
        signal,
        ...(spawnError ? { spawnError } : {}),
        timedOut,
        durationMs: performance.now() - started,
      });
    };
    // 'close' waits for the output pipes too, so no output is lost after the exit status. A
    // background process left by the suite may hold the pipes open forever: after 'exit', give
    // the pipes a moment, then stop waiting for them.
    child.on('close', finish);
    child.on('exit', (code, signal) => {
      setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish(code, signal);
      }, PIPE_GRACE_MS).unref();
    });
  });

  const groupGone = async (timeoutMs: number): Promise<boolean> => {
    const pgid = child.pid;
    if (pgid === undefined) return true;
    const deadline = performance.now() + timeoutMs;
    while (groupAlive(pgid)) {
      if (performance.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  };

  return { pid: child.pid, result, signalGroup, killTree, groupGone };
};
