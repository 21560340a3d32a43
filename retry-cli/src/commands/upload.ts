import { countStatuses, JUnitParseError, readJUnitFile, type TestResult } from '@dozhim/core';
import { ciMetadata } from '../ci-env.js';
import type { Deps } from '../deps.js';
import { InfrastructureError, UsageError } from '../exit-codes.js';
import type { ResolvedOptions } from '../options.js';
import { createPrinter } from '../output.js';
import { openSession } from '../run-session.js';

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
      results.push(...(await readJUnitFile(file, { source: file })).results);
    } catch (e) {
      const why = e instanceof JUnitParseError ? `${e.code}: ${e.message}` : (e as Error).message;
      throw new InfrastructureError(`cannot read ${file}: ${why}`);
    }
  }
  await store.startRun(runId, ciMetadata(deps.env));
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
