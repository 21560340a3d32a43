import { countStatuses, JUnitParseError, readJUnitFile, type TestResult } from '@dozhim/core';
import { ciMetadata } from '../cli/ci-env.js';
import { InfrastructureError, UsageError } from '../cli/exit-codes.js';
import type { ResolvedOptions } from '../cli/options.js';
import type { Deps } from '../deps.js';
import { openSession } from '../loop/run-session.js';
import { shardPosition } from '../loop/shards.js';
import { createPrinter } from '../output/output.js';

/**
 * `dozhim upload`: JUnit files produced outside dozhim (another job, a shard) become one shard of
 * an attempt. Re-uploading the same shard replaces it locally and upserts it in the reporter.
 */
export async function uploadCommand(
  options: ResolvedOptions & { attempt: number; files: string[] },
  deps: Deps,
): Promise<{ exitCode: number }> {
  if (options.files.length === 0)
    throw new UsageError('no files: dozhim upload --run-id X --attempt N <files...>');
  const printer = createPrinter(deps);
  const { runId, store } = await openSession(options, deps, printer, true);
  const results: TestResult[] = [];
  for (const file of options.files) {
    try {
      // Files under the working directory get relative paths in ids, as the adapters' reports do.
      const report = await readJUnitFile(file, {
        source: file,
        baseDir: options.cwd,
        repeats: options.junitRepeats ?? 'executions',
      });
      for (const w of report.warnings) printer.warn(`dozhim: WARNING: ${file}: ${w}\n`);
      results.push(...report.results);
    } catch (e) {
      if (e instanceof JUnitParseError)
        throw new InfrastructureError(`cannot read ${file}: ${e.code}: ${e.message}`);
      // A path that is not there (or is a directory) is a mistake in the command, not a broken report.
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR')
        throw new UsageError(`cannot upload ${file}: ${code === 'ENOENT' ? 'no such file' : 'not a file'}`);
      throw new InfrastructureError(`cannot read ${file}: ${(e as Error).message}`);
    }
  }
  await store.startRun(runId, ciMetadata(deps.env));
  const position = shardPosition(options.shard);
  // Recorded before the results, so that a rerun of an attempt missing this shard is refused.
  if (position) await store.patchAttempt(runId, options.attempt, { shardTotal: position.total });
  await store.saveResults(runId, options.attempt, options.shard, results);
  const c = countStatuses(results);
  const where = store.usingReporter
    ? `reporter ${store.runUrl(runId)}`
    : `local state ${store.local.runDir(runId)}`;
  printer.info(
    `dozhim: uploaded ${c.total} results (${c.passed} passed, ${c.failed + c.error} failed, ${c.skipped} skipped) ` +
      `to run ${runId} attempt ${options.attempt} shard ${options.shard} in ${where}\n`,
  );
  return { exitCode: 0 };
}
