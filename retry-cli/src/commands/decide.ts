import { decide } from '@dozhim/core';
import type { ResolvedOptions } from '../cli/options.js';
import type { Deps } from '../deps.js';
import {
  loadCompleteAttempts,
  openSession,
  requireAttempts,
  warnUnmatchedQuarantine,
} from '../loop/run-session.js';
import { createPrinter } from '../output/output.js';

/**
 * `dozhim decide`: the policy's decision for the run as it stands. A query: it exits 0 whenever it
 * could decide, so `$(dozhim decide --json)` works under `set -e`; branch on `.action`. An unknown
 * run is exit 2, an unreachable reporter or an incomplete sharded attempt exit 7.
 */
export async function decideCommand(
  options: ResolvedOptions & { json: boolean },
  deps: Deps,
): Promise<{ exitCode: number }> {
  const printer = createPrinter(deps, true);
  const session = await openSession(options, deps, printer, true, true);
  const { runId, policy } = session;
  const attempts = await loadCompleteAttempts(session, printer);
  requireAttempts(attempts, session);
  warnUnmatchedQuarantine(session, printer);
  const decision = decide(attempts, policy);
  deps.stdout.write(options.json ? `${JSON.stringify({ runId, ...decision })}\n` : `${decision.line}\n`);
  return { exitCode: 0 };
}
