// CodeNarc's Jenkins CPS rules (bundled with npm-groovy-lint 16.2.0) over every library file, with the
// library's own config (jenkins-shared-lib/.groovylintrc.json applies them to *.groovy, not only to files
// named Jenkinsfile). A fixture that breaks two rules proves they really ran.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { BIN, REPO } from '../e2e/helpers.js';
import { FIXTURES, JAVA_HOME, LIBRARY, requireGroovy } from './harness.js';

interface Lint {
  summary: { totalFilesLinted: number };
  files: Record<string, { errors: { line: number; rule: string; severity: string; msg: string }[] }>;
}

const BAD = join(FIXTURES, 'cps-violations.groovy');
let lint: Lint;

function groovyFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.groovy'))
    .map((e) => join(e.parentPath, e.name));
}

beforeAll(async () => {
  requireGroovy(); // the JDK CodeNarc runs on
  const out = await new Promise<string>((resolve, reject) => {
    // --noserver: otherwise npm-groovy-lint leaves a CodeNarc server JVM running.
    const args = [
      '--noserver',
      '--config',
      join(LIBRARY, '.groovylintrc.json'),
      '--output',
      'json',
      '--failon',
      'none',
      LIBRARY,
      BAD,
    ];
    const child = spawn(BIN('npm-groovy-lint'), args, {
      cwd: REPO,
      env: { ...process.env, JAVA_HOME },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 500_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`npm-groovy-lint exited ${code}\n${stdout}\n${stderr}`));
    });
  });
  lint = JSON.parse(out.slice(out.indexOf('{'))) as Lint;
}, 540_000);

it('lints every library file and finds no error (the Jenkins CPS rules are errors)', () => {
  const library = groovyFiles(LIBRARY).sort();
  expect(library.length).toBeGreaterThanOrEqual(9);
  // Files without any finding are not listed, so count what was linted: the library and the fixture.
  expect(lint.summary.totalFilesLinted).toBe(library.length + 1);
  const errors = library.flatMap((f) =>
    (lint.files[f]?.errors ?? [])
      .filter((e) => e.severity === 'error')
      .map((e) => `${f}:${e.line} ${e.rule}: ${e.msg}`),
  );
  expect(errors).toEqual([]);
});

it('the CPS rules really run on *.groovy: the fixture breaking them is caught', () => {
  const rules = lint.files[BAD]!.errors.filter((e) => e.severity === 'error')
    .map((e) => e.rule)
    .sort();
  expect(rules).toEqual(['ClassNotSerializable', 'ForbiddenCallInCpsMethod']);
});
