import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ResolvedOptions } from '../cli/options.js';
import type { Deps } from '../deps.js';
import { loadCompleteAttempts, openSession, requireAttempts, writeReport } from '../loop/run-session.js';
import { createPrinter } from '../output/output.js';

/** `dozhim report`: the run's merged JUnit (flaky marks, one testcase per test) to a file. */
export async function reportCommand(options: ResolvedOptions, deps: Deps): Promise<{ exitCode: number }> {
  const printer = createPrinter(deps, true);
  const session = await openSession(options, deps, printer, true, true);
  const { runId, store } = session;
  // Checked first: a report of an incomplete sharded attempt would leave the missing shards out.
  requireAttempts(await loadCompleteAttempts(session, printer), session);
  const remote = await store.remoteReport(runId);
  if (remote !== undefined) {
    await mkdir(dirname(options.reportPath), { recursive: true });
    await writeFile(options.reportPath, remote);
  } else {
    await writeReport(options.reportPath, await store.local.loadAttempts(runId), runId);
  }
  printer.info(`dozhim: merged report of run ${runId} written to ${options.reportPath}\n`);
  return { exitCode: 0 };
}
