// CONTRACT STUB — to be implemented (helper "core-junit"). Signature is fixed: other packages use it.
import type { Attempt } from './model.js';

export interface WriteOptions {
  /** Name of the root <testsuites>, e.g. the run id. */
  name?: string;
}

/** One merged JUnit XML (Surefire conventions) for all attempts of a run. */
export function writeMergedJUnit(_attempts: readonly Attempt[], _options: WriteOptions = {}): string {
  throw new Error('not implemented');
}
