import { mkdir, mkdtemp, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectReports, snapshotReports } from '../src/loop/junit-collect.js';
import { attemptJUnitPath, safeSegment } from '../src/store/state-layout.js';

const xml = (name: string, failed = false): string =>
  `<testsuite name="s"><testcase classname="c" name="${name}">${failed ? '<failure message="x"/>' : ''}</testcase></testsuite>`;

describe('junit-collect', () => {
  it('gives every attempt its own report path, safe for any run id', () => {
    expect(attemptJUnitPath('/s', 'team/pipe:1', 2)).toBe('/s/team_pipe_1/attempt-2/junit.xml');
    expect(safeSegment('a b/c')).toBe('a_b_c');
  });

  it('with a glob, reads only reports created or changed during the attempt', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dozhim-collect-'));
    await mkdir(join(dir, 'reports'));
    await writeFile(join(dir, 'reports/old.xml'), xml('old', true));
    await writeFile(join(dir, 'reports/kept.xml'), xml('kept'));
    const past = new Date(Date.now() - 60_000);
    await utimes(join(dir, 'reports/old.xml'), past, past);
    await utimes(join(dir, 'reports/kept.xml'), past, past);
    const before = await snapshotReports('reports/*.xml', dir);

    await writeFile(join(dir, 'reports/new.xml'), xml('new'));
    await writeFile(join(dir, 'reports/kept.xml'), xml('kept-rewritten'));
    const got = await collectReports({
      cwd: dir,
      junitPath: join(dir, 'unused.xml'),
      globs: ['reports/*.xml'],
      before,
    });
    expect(got.files.map((f) => f.replace(`${dir}/`, ''))).toEqual(['reports/kept.xml', 'reports/new.xml']);
    expect(got.results.map((r) => r.name).sort()).toEqual(['kept-rewritten', 'new']);
  });

  it('reports unreadable files instead of failing, and finds nothing when nothing was written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dozhim-collect-'));
    const before = await snapshotReports('*.xml', dir);
    await writeFile(join(dir, 'broken.xml'), '<testsuite><testcase');
    const got = await collectReports({ cwd: dir, junitPath: join(dir, 'j.xml'), globs: ['*.xml'], before });
    expect(got.files).toEqual([]);
    expect(got.unreadable.map((u) => u.file)).toEqual([join(dir, 'broken.xml')]);
    const none = await collectReports({ cwd: dir, junitPath: join(dir, 'missing.xml') });
    expect(none).toEqual({ files: [], results: [], unreadable: [], warnings: [] });
  });
});

describe('junit-collect: repeats, normalize, paths', () => {
  // One id twice in one report: a failed then a passed testcase.
  const twice =
    '<testsuite name="s"><testcase classname="c" name="t"><failure message="boom"/></testcase>' +
    '<testcase classname="c" name="t"/></testsuite>';

  it('reads repeats as executions by default (the failure stays, with a warning) and as retries when told', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dozhim-collect-'));
    await writeFile(join(dir, 'j.xml'), twice);
    const executions = await collectReports({
      cwd: dir,
      junitPath: join(dir, 'j.xml'),
      repeats: 'executions',
    });
    expect(executions.results.map((r) => r.status)).toEqual(['failed']);
    expect(executions.warnings).toHaveLength(1);
    expect(executions.warnings[0]).toContain(join(dir, 'j.xml'));
    const retries = await collectReports({ cwd: dir, junitPath: join(dir, 'j.xml'), repeats: 'retries' });
    expect(retries.results.map((r) => [r.status, r.retries.map((x) => x.kind)])).toEqual([
      ['passed', ['flakyFailure']],
    ]);
    // No rule given: core's default, which must be the one that keeps the failure.
    const dflt = await collectReports({ cwd: dir, junitPath: join(dir, 'j.xml') });
    expect(dflt.results.map((r) => r.status)).toEqual(['failed']);
  });

  it("applies the adapter's normalize to each file, and makes absolute file paths cwd-relative", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dozhim-collect-'));
    const abs = join(dir, 'tests/a.spec.mjs');
    await writeFile(
      join(dir, 'j.xml'),
      `<testsuite name="s" file="${abs}"><testcase classname="x" name="kept"/><testcase classname="x" name="dropped"/></testsuite>`,
    );
    const got = await collectReports({
      cwd: dir,
      junitPath: join(dir, 'j.xml'),
      normalize: (results) => results.filter((r) => r.name !== 'dropped'),
    });
    expect(got.results.map((r) => [r.name, r.file])).toEqual([['kept', 'tests/a.spec.mjs']]);
  });
});
