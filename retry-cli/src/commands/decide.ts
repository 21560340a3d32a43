import { decide } from '@dozhim/core';
import type { Deps } from '../deps.js';
import { UsageError } from '../exit-codes.js';
import type { ResolvedOptions } from '../options.js';
import { createPrinter } from '../output.js';
import { openSession } from '../run-session.js';

/**
 * `dozhim decide`: the policy's decision for the run as it stands. A query: it exits 0 whenever it
 * could decide, so `$(dozhim decide --json)` works under `set -e`; branch on `.action`.
 */
export async function decideCommand(
  options: ResolvedOptions & { json: boolean },
  deps: Deps,
): Promise<{ exitCode: number }> {
  const printer = createPrinter(deps, true);
  const { runId, store, policy } = await openSession(options, deps, printer, true);
  const attempts = await store.loadAttempts(runId);
  if (attempts.length === 0) throw new UsageError(`run ${runId} has no recorded attempts`);
  const decision = decide(attempts, policy);
  deps.stdout.write(options.json ? `${JSON.stringify({ runId, ...decision })}\n` : `${decision.line}\n`);
  return { exitCode: 0 };
}
