import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
export const BIN = join(ROOT, 'reporter/bin/dozhim-reporter.js');

/** Builds the reporter (and core) once per test file; flock keeps parallel test files from racing tsc. */
export function buildReporter(): void {
  try {
    execFileSync(
      'flock',
      ['/tmp/dozhim-reporter-build.lock', join(ROOT, 'node_modules/.bin/tsc'), '-b', 'reporter'],
      {
        cwd: ROOT,
        stdio: 'pipe',
      },
    );
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stdout?: Buffer; stderr?: Buffer };
    if (err.code === 'ENOENT')
      throw new Error('these tests need `flock` (Debian package util-linux) on PATH');
    throw new Error(`npx tsc -b reporter failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
}

export function tempDir(prefix = 'dozhim-reporter-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Reporter {
  url: string;
  proc: ChildProcess;
  output: () => string;
  /** Sends the signal and resolves with the exit code (or signal name). */
  stop: (signal?: NodeJS.Signals) => Promise<number | string>;
}

/** Spawns the REAL bin on 127.0.0.1 with --port 0 and waits for its "listening on" line. */
export async function startReporter(
  db: string,
  env: Record<string, string> = {},
  args: string[] = [],
): Promise<Reporter> {
  const proc = spawn(process.execPath, [BIN, '--port', '0', '--db', db, ...args], {
    env: { ...process.env, DOZHIM_LOG_LEVEL: 'warn', DOZHIM_TOKEN: '', DOZHIM_READ_TOKEN: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => {
    out += d;
  });
  proc.stderr!.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | string>((res) =>
    proc.once('exit', (code, sig) => res(code ?? sig ?? -1)),
  );
  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`reporter did not start within 10s:\n${out}`)), 10_000);
    const check = () => {
      const m = /dozhim-reporter listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        res(m[1]!);
      }
    };
    proc.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      rej(new Error(`reporter exited (${code}) before listening:\n${out}`));
    });
  });
  return {
    url,
    proc,
    output: () => out,
    stop: (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/** Runs the bin to completion (config errors, --help, subcommands); killed after `timeoutMs`. */
export function runBin(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 10_000,
): Promise<{ code: number | null; out: string }> {
  return new Promise((res) => {
    const proc = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, DOZHIM_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
    });
    proc.stderr.on('data', (d) => {
      out += d;
    });
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      res({ code, out });
    });
  });
}
