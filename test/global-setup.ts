// Vitest global setup of the tests that run built code (the `dozhim` and `dozhim-reporter` binaries,
// `dist/`): builds every package once, before any of them starts, so no test can run a stale build.
// `tsc -b` is incremental: with nothing changed it only checks timestamps (~2 s).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));

export default function setup(): void {
  try {
    execFileSync(`${REPO}node_modules/.bin/tsc`, ['-b', 'core', 'reporter', 'retry-cli'], {
      cwd: REPO,
      stdio: 'pipe',
    });
  } catch (e) {
    const err = e as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(
      `the build failed (tsc -b core reporter retry-cli):\n${err.stdout ?? ''}${err.stderr ?? ''}`,
    );
  }
}
