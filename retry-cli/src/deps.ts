import type { Env } from './cli/ci-env.js';
import { type ProcessSpawner, spawnProcess } from './loop/process-runner.js';
import type { HttpFactory } from './store/reporter-client.js';

/** Everything a command touches outside itself, injected so tests and embedders can supply their own. */

export interface Writer {
  write(chunk: string | Uint8Array): void;
  isTTY?: boolean;
}

export interface Deps {
  stdout: Writer;
  stderr: Writer;
  env: Env;
  cwd: string;
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or early when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  http: HttpFactory;
  spawn: ProcessSpawner;
  /** Subscribes to SIGINT/SIGTERM; returns the unsubscribe function. */
  onSignal(handler: (signal: NodeJS.Signals) => void): () => void;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** The real process: its streams, environment, clock, network and signals. */
export function processDeps(): Deps {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    now: () => Date.now(),
    sleep,
    // Loaded on first use: axios costs ~200 ms of startup, and most local runs never need it.
    http: async (config) => (await import('axios')).default.create(config),
    spawn: spawnProcess,
    onSignal(handler) {
      const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
      for (const s of signals) process.on(s, handler);
      return () => {
        for (const s of signals) process.off(s, handler);
      };
    },
  };
}
