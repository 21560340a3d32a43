import { randomBytes } from 'node:crypto';
import { RUN_ID_PATTERN, RUN_ID_RULE, sanitizeRunId } from '@dozhim/core';
import { UsageError } from './exit-codes.js';

/** What dozhim reads from CI environments (GitLab, Jenkins) to name and describe a run. */

export type Env = Readonly<Record<string, string | undefined>>;

export interface ResolvedRunId {
  runId: string;
  source: 'flag' | 'DOZHIM_RUN_ID' | 'CI_PIPELINE_ID' | 'BUILD_TAG' | 'generated';
}

const nonEmpty = (s: string | undefined): string | undefined => (s && s.trim() !== '' ? s.trim() : undefined);

/** `--run-id` > `DOZHIM_RUN_ID` > GitLab `CI_PIPELINE_ID` > Jenkins `BUILD_TAG` > generated. */
export function resolveRunId(flag: string | undefined, env: Env, now: Date = new Date()): ResolvedRunId {
  const f = nonEmpty(flag);
  if (f) return { runId: f, source: 'flag' };
  const d = nonEmpty(env.DOZHIM_RUN_ID);
  if (d) {
    // Set on purpose, like --run-id: a bad value is an error, never silently rewritten.
    if (!RUN_ID_PATTERN.test(d)) {
      throw new UsageError(`DOZHIM_RUN_ID ${JSON.stringify(d.slice(0, 80))}: ${RUN_ID_RULE}`);
    }
    return { runId: d, source: 'DOZHIM_RUN_ID' };
  }
  const gitlab = nonEmpty(env.CI_PIPELINE_ID);
  if (gitlab) return { runId: sanitizeRunId(gitlab), source: 'CI_PIPELINE_ID' };
  const jenkins = nonEmpty(env.BUILD_TAG);
  if (jenkins) return { runId: sanitizeRunId(jenkins), source: 'BUILD_TAG' };
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  return { runId: `dozhim-${stamp}-${randomBytes(3).toString('hex')}`, source: 'generated' };
}

export interface CiMetadata {
  project?: string;
  branch?: string;
  commit?: string;
  ciUrl?: string;
  labels?: Record<string, string>;
}

/** Run metadata for the reporter, from GitLab CI or Jenkins variables (GitLab first). */
export function ciMetadata(env: Env): CiMetadata {
  const meta: CiMetadata = {};
  const set = (
    key: 'project' | 'branch' | 'commit' | 'ciUrl',
    ...candidates: (string | undefined)[]
  ): void => {
    const v = candidates.map(nonEmpty).find((c) => c !== undefined);
    if (v !== undefined) meta[key] = v;
  };
  if (nonEmpty(env.GITLAB_CI) || nonEmpty(env.CI_PROJECT_PATH)) {
    set('project', env.CI_PROJECT_PATH);
    set('branch', env.CI_COMMIT_REF_NAME);
    set('commit', env.CI_COMMIT_SHA);
    set('ciUrl', env.CI_PIPELINE_URL);
    meta.labels = { ci: 'gitlab' };
  } else if (nonEmpty(env.JENKINS_URL) || nonEmpty(env.JOB_NAME)) {
    set('project', env.JOB_NAME);
    set('branch', env.BRANCH_NAME, env.GIT_BRANCH);
    set('commit', env.GIT_COMMIT);
    set('ciUrl', env.BUILD_URL);
    meta.labels = { ci: 'jenkins' };
  }
  return meta;
}
