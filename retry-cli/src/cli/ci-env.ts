import type { RunMeta } from '@dozhim/core/wire';

/** What dozhim reads from CI environments (GitLab, Jenkins) to describe a run (its id: cli/option-table.ts resolveRunId). */

export type Env = Readonly<Record<string, string | undefined>>;

const nonEmpty = (s: string | undefined): string | undefined => (s && s.trim() !== '' ? s.trim() : undefined);

/** The run's CI metadata: the body of the reporter's PUT run (the wire contract's). */
export type CiMetadata = RunMeta;

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
