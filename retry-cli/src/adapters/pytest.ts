import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { programOf } from './command.js';
import { fileResolver } from './files.js';
import { pluginSelection } from './pytest-plugin.js';
import { uniq } from './regex.js';
import type { AdapterContext, FrameworkAdapter, TestRef, TestUnit } from './types.js';
import { suiteLevelUnit } from './units.js';

/**
 * pytest: node ids `path/to/test_x.py::Class::Inner::test_name[param-1]`.
 *
 * The JUnit `classname` is the node id's path relative to pytest's rootdir, dotted, plus the classes;
 * with xunit1 the `file` attribute names the module file (also rootdir-relative). Node ids on the command
 * line are relative to the invocation dir (cwd), so the module path is resolved against the working tree.
 * The name keeps pytest's own escaping of parameter ids (`test_p[\xe9]`), which is exactly what pytest
 * expects back as a node id. Each node id is one argv element: spaces, quotes and brackets are safe.
 *
 * A rerun passes the node ids (so pytest collects only those files when the command names no paths)
 * AND a small plugin that deselects everything else (see pytest-plugin.ts): when the user's command
 * names a directory, pytest would otherwise run the union of that directory and the node ids.
 */
export function pytestNodeId(ref: TestRef, resolve: (rel: string) => string | undefined): string {
  // Not found: the paths as the report wrote them (what pytest would be given without resolution).
  return findNodeId(ref, resolve) ?? findNodeId(ref, (rel) => rel) ?? ref.name;
}

/**
 * The node id, or undefined when its module file is not found from cwd. With `file` (xunit1) the
 * module is that file; without (xunit2) it is the longest dotted prefix of classname that is an
 * existing .py file, the rest being classes. Paths are resolved from cwd, which may be above pytest's
 * rootdir (the report's paths are rootdir-relative).
 */
export function findNodeId(ref: TestRef, resolve: (rel: string) => string | undefined): string | undefined {
  const parts = ref.classname.split('.').filter(Boolean);
  const fromFile = ref.file?.endsWith('.py') ? ref.file : undefined;
  if (fromFile) {
    const moduleParts = fromFile.replace(/\.py$/, '').split('/').filter(Boolean);
    const classes = startsWith(parts, moduleParts) ? parts.slice(moduleParts.length) : [];
    const found = resolve(fromFile);
    return found ? join3(found, classes, ref.name) : undefined;
  }
  for (let k = parts.length; k > 0; k--) {
    const found = resolve(`${parts.slice(0, k).join('/')}.py`);
    if (found) return join3(found, parts.slice(k), ref.name);
  }
  return undefined;
}

/**
 * Collection errors: pytest writes a module (or package) that failed to import as a testcase with an
 * empty classname, named by the dotted path (`pkg.test_mod`), `file` = the path under xunit1. None of
 * its tests ran, so its unit is the module: re-run whole, every test inside it counted. Under
 * pytest-xdist, workers that collected different tests are reported as a testcase named after the
 * worker (`gw1`, file `gw1`): that is no part of the suite and cannot be re-run on its own.
 */
const XDIST_WORKER_RE = /^gw\d+$/;

/** Dotted module/package path of a collection error, or undefined for an ordinary test. */
export function collectionErrorModule(ref: TestRef): string | undefined {
  return ref.classname === '' && ref.name !== '' ? ref.name.trim() : undefined;
}

function unitOf(ref: TestRef): TestUnit | undefined {
  const mod = collectionErrorModule(ref);
  if (mod === undefined) return suiteLevelUnit(ref);
  const inside = (r: TestRef): boolean =>
    r.classname === mod || r.classname.startsWith(`${mod}.`) || (r.classname === '' && r.name === mod);
  if (XDIST_WORKER_RE.test(mod) && (!ref.file || ref.file === mod)) {
    return {
      label: `pytest-xdist worker ${mod}`,
      groupFailure: true,
      covers: () => false,
      unrunnable: `pytest-xdist worker ${mod} reported a collection failure (its workers collected different tests): that is not a test or a module dozhim can re-run; make collection deterministic`,
    };
  }
  return { label: `module ${mod}`, groupFailure: true, covers: inside };
}

/** The path (relative to cwd) that collects a collection error's module or package, if it exists. */
function unitPath(ref: TestRef, resolve: (rel: string) => string | undefined): string | undefined {
  const mod = collectionErrorModule(ref) ?? '';
  const candidates = [ref.file, `${mod.replace(/\./g, '/')}.py`, mod.replace(/\./g, '/')];
  for (const c of candidates) {
    const found = c ? resolve(c) : undefined;
    if (found) return found;
  }
  return undefined;
}

const startsWith = (a: string[], prefix: string[]): boolean =>
  prefix.length <= a.length && prefix.every((p, i) => a[i] === p);

const join3 = (file: string, classes: string[], name: string): string => [file, ...classes, name].join('::');

/** Node ids and unit paths, or undefined when a file could not be found (a wrong path would abort pytest). */
function resolvedNodeIds(tests: readonly TestRef[], ctx: AdapterContext): string[] | undefined {
  const resolve = fileResolver(ctx.cwd);
  const ids = tests.map((t) =>
    collectionErrorModule(t) === undefined && !suiteLevelUnit(t)
      ? findNodeId(t, resolve)
      : unitPath(t, resolve),
  );
  return ids.every((id): id is string => id !== undefined) ? uniq(ids) : undefined;
}

/** `pkg.test_mod` for a collection error or a suite-level result's file; nothing for a test. */
const unitModules = (tests: readonly TestRef[]): string[] =>
  uniq(
    tests.flatMap((t) => {
      const mod = collectionErrorModule(t);
      if (mod !== undefined) return [mod];
      // A suite-level result names its file: the module is that file's dotted path.
      return suiteLevelUnit(t) && t.file ? [t.file.replace(/\.py$/, '').split('/').join('.')] : [];
    }),
  ).filter(Boolean);

/**
 * The Python that runs the command: `python3 -m pytest ...` names it; a `pytest` script names it on its
 * `#!` line. Undefined when it cannot be told (then nothing is checked).
 */
function interpreterOf(command: readonly string[], cwd: string): string | undefined {
  const program = programOf(command);
  if (/^python[\d.]*$/.test(basename(program))) return program;
  if (basename(program) !== 'pytest') return undefined;
  const which = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', program], { cwd, encoding: 'utf8' });
  const path = which.status === 0 ? which.stdout.trim() : '';
  if (!path) return undefined;
  let head = '';
  try {
    head = readFileSync(path, 'utf8').split('\n', 1)[0] ?? '';
  } catch {
    return undefined;
  }
  return /^#!\s*(\S*python[\d.]*)\s*$/.exec(head.trim())?.[1];
}

/** More than one thread needs pytest-xdist (`-n N`); without it pytest stops on "unrecognized arguments". */
export function pytestPreflight(command: readonly string[], ctx: AdapterContext): string | undefined {
  if (ctx.threads <= 1) return undefined;
  const python = interpreterOf(command, ctx.cwd);
  if (!python) return undefined;
  const probe = spawnSync(python, ['-c', 'import xdist'], { cwd: ctx.cwd, stdio: 'ignore' });
  if (probe.status === 0) return undefined;
  return `--framework pytest with --threads ${ctx.threads} needs pytest-xdist (the preset passes -n ${ctx.threads}), which ${python} cannot import: install it (Debian: python3-pytest-xdist; pip: pytest-xdist) or use --threads 1`;
}

/** pytest's exit code 2 ("interrupted"): the session stopped early, later tests did not run. */
export const PYTEST_INTERRUPTED = 2;

export const pytest: FrameworkAdapter = {
  name: 'pytest',
  preflight: pytestPreflight,
  incomplete: (exitCode) =>
    exitCode === PYTEST_INTERRUPTED
      ? 'pytest was interrupted (exit 2: a collection error without --continue-on-collection-errors, or a KeyboardInterrupt): the tests after that point did not run, so its report says nothing about them'
      : undefined,
  // An interrupted session ends its report with an empty `<testcase time="0.000" />`: that is no test
  // (it would read as a passed test without a name), so it is dropped.
  normalize: (results) => results.filter((r) => r.name !== '' || r.classname !== ''),
  repeats: 'executions',
  unitOf,
  // xunit1 keeps the `file` attribute (xunit2, pytest's default, drops it). A collection error would
  // otherwise stop the whole session ("Interrupted: 1 error during collection"): every other module's
  // tests would silently not run, so the preset asks pytest to go on and run them.
  report: (ctx) => ({
    args: [`--junitxml=${ctx.junitPath}`, '-o', 'junit_family=xunit1', '--continue-on-collection-errors'],
    env: {},
  }),
  // pytest-xdist for more than one thread; one thread runs in-process, so it works without xdist.
  threads: (ctx) =>
    ctx.threads > 1 ? { args: ['-n', String(ctx.threads)], env: {} } : { args: [], env: {} },
  select: (tests, ctx) => {
    if (tests.length === 0) return { args: [], env: {} };
    // Without an attempt directory (e.g. `dozhim failed --json`) nothing is written: node ids only.
    if (!ctx.junitPath) return { args: pytest.selectors(tests, ctx), env: {} };
    const units = unitModules(tests);
    const plugin = pluginSelection(
      tests.filter((t) => collectionErrorModule(t) === undefined && !suiteLevelUnit(t)),
      units,
      ctx.junitPath,
    );
    return { args: [...(resolvedNodeIds(tests, ctx) ?? []), ...plugin.args], env: plugin.env };
  },
  selectors: (tests, ctx) => {
    const resolve = fileResolver(ctx.cwd);
    return uniq(
      tests.map((t) =>
        collectionErrorModule(t) === undefined
          ? pytestNodeId(t, resolve)
          : (unitPath(t, resolve) ?? t.file ?? collectionErrorModule(t) ?? t.name),
      ),
    );
  },
};
