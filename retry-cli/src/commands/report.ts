import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Deps } from '../deps.js';
import { UsageError } from '../exit-codes.js';
import type { ResolvedOptions } from '../options.js';
import { createPrinter } from '../output.js';
import { openSession, writeReport } from '../run-session.js';

/** `dozhim report`: the run's merged JUnit (flaky marks, one testcase per test) to a file. */
export async function reportCommand(options: ResolvedOptions, deps: Deps): Promise<{ exitCode: number }> {
  const printer = createPrinter(deps, true);
  const { runId, store } = await openSession(options, deps, printer, true);
  const remote = await store.remoteReport(runId);
  if (remote !== undefined) {
    await mkdir(dirname(options.reportPath), { recursive: true });
    await writeFile(options.reportPath, remote);
  } else {
    const attempts = await store.local.loadAttempts(runId);
    if (attempts.length === 0) throw new UsageError(`run ${runId} has no recorded attempts`);
    await writeReport(options.reportPath, attempts, runId);
  }
  printer.info(`dozhim: merged report of run ${runId} written to ${options.reportPath}\n`);
  return { exitCode: 0 };
}
