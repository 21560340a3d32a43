import { describe, expect, it } from 'vitest';
import { ciMetadata } from '../src/cli/ci-env.js';
import { resolveRunId } from '../src/cli/option-table.js';

describe('run id', () => {
  it('prefers --run-id, then DOZHIM_RUN_ID, GitLab CI_PIPELINE_ID, Jenkins BUILD_TAG', () => {
    const env = { DOZHIM_RUN_ID: 'd', CI_PIPELINE_ID: '123', BUILD_TAG: 'jenkins-job-7' };
    expect(resolveRunId('flag', env)).toEqual({ runId: 'flag', source: 'flag' });
    expect(resolveRunId(undefined, env)).toEqual({ runId: 'd', source: 'DOZHIM_RUN_ID' });
    expect(resolveRunId(undefined, { ...env, DOZHIM_RUN_ID: '' })).toEqual({
      runId: '123',
      source: 'CI_PIPELINE_ID',
    });
    expect(resolveRunId(undefined, { BUILD_TAG: 'jenkins-my job-7' })).toEqual({
      runId: 'jenkins-my-job-7',
      source: 'BUILD_TAG',
    });
  });

  it('generates a valid, unique id otherwise', () => {
    const a = resolveRunId(undefined, {}, new Date('2026-01-02T03:04:05Z'));
    const b = resolveRunId(undefined, {}, new Date('2026-01-02T03:04:05Z'));
    expect(a.source).toBe('generated');
    expect(a.runId).toMatch(/^dozhim-20260102T030405-[0-9a-f]{6}$/);
    expect(a.runId).not.toBe(b.runId);
  });
});

describe('CI metadata', () => {
  it('reads GitLab variables', () => {
    const env = {
      GITLAB_CI: 'true',
      CI_PROJECT_PATH: 'team/app',
      CI_COMMIT_REF_NAME: 'main',
      CI_COMMIT_SHA: 'abc',
      CI_PIPELINE_URL: 'https://gitlab/p/1',
    };
    expect(ciMetadata(env)).toEqual({
      project: 'team/app',
      branch: 'main',
      commit: 'abc',
      ciUrl: 'https://gitlab/p/1',
      labels: { ci: 'gitlab' },
    });
  });

  it('reads Jenkins variables, BRANCH_NAME before GIT_BRANCH', () => {
    const env = {
      JENKINS_URL: 'https://j',
      JOB_NAME: 'e2e',
      GIT_BRANCH: 'origin/dev',
      GIT_COMMIT: 'def',
      BUILD_URL: 'https://j/7',
    };
    expect(ciMetadata(env)).toEqual({
      project: 'e2e',
      branch: 'origin/dev',
      commit: 'def',
      ciUrl: 'https://j/7',
      labels: { ci: 'jenkins' },
    });
    expect(ciMetadata({ ...env, BRANCH_NAME: 'dev' }).branch).toBe('dev');
    expect(ciMetadata({})).toEqual({});
  });
});
