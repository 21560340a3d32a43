import { runState } from '@dozhim/core';
import { FRAMEWORKS, getAdapter, isFrameworkName } from '../adapters/index.js';
import { UsageError } from '../cli/exit-codes.js';
import type { ResolvedOptions } from '../cli/options.js';
import type { Deps } from '../deps.js';
import { testRefs } from '../loop/run-loop.js';
import { loadCompleteAttempts, openSession, requireAttempts } from '../loop/run-session.js';
import { createPrinter } from '../output/output.js';

export interface FailedOptions extends ResolvedOptions {
  /** `id` (canonical ids) or a framework name (that framework's selectors). */
  format: string;
  json: boolean;
}

/**
 * `dozhim failed`: the run's currently failing tests, one a line: canonical ids, or with
 * `--format <framework>` the framework's selectors (`Class#method`, pytest node ids...), ready for
 * a pipeline that reruns them itself.
 */
export async function failedCommand(options: FailedOptions, deps: Deps): Promise<{ exitCode: number }> {
  if (options.format !== 'id' && !isFrameworkName(options.format)) {
    throw new UsageError(`--format must be "id" or one of ${FRAMEWORKS.join(', ')}, got "${options.format}"`);
  }
  const printer = createPrinter(deps, true);
  const session = await openSession(options, deps, printer, true, true);
  const { runId } = session;
  const attempts = await loadCompleteAttempts(session, printer);
  requireAttempts(attempts, session);
  const state = runState(attempts);
  const failing = state.failing;
  const ctx = { cwd: options.cwd, junitPath: '', threads: options.policy.threads };
  const refs = testRefs(attempts, failing, state);
  const selectors = options.format === 'id' ? failing : getAdapter(options.format).selectors(refs, ctx);
  if (options.json) {
    const args = options.format === 'id' ? failing : getAdapter(options.format).select(refs, ctx).args;
    deps.stdout.write(`${JSON.stringify({ runId, format: options.format, failing, selectors, args })}\n`);
  } else {
    deps.stdout.write(selectors.map((s) => `${s}\n`).join(''));
  }
  return { exitCode: 0 };
}
