import { fileResolver } from './files.js';
import { pluginSelection } from './pytest-plugin.js';
import { uniq } from './regex.js';
import type { AdapterContext, FrameworkAdapter, TestRef } from './types.js';

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
  const parts = ref.classname.split('.').filter(Boolean);
  const fromFile = ref.file?.endsWith('.py') ? ref.file : undefined;
  if (fromFile) {
    const moduleParts = fromFile.replace(/\.py$/, '').split('/').filter(Boolean);
    const classes = startsWith(parts, moduleParts) ? parts.slice(moduleParts.length) : [];
    return join3(resolve(fromFile) ?? fromFile, classes, ref.name);
  }
  // No file attribute (xunit2): the longest dotted prefix of classname that is an existing .py file.
  for (let k = parts.length; k > 0; k--) {
    const rel = `${parts.slice(0, k).join('/')}.py`;
    const found = resolve(rel);
    if (found) return join3(found, parts.slice(k), ref.name);
  }
  return join3(`${parts.join('/')}.py`, [], ref.name);
}

const startsWith = (a: string[], prefix: string[]): boolean =>
  prefix.length <= a.length && prefix.every((p, i) => a[i] === p);

const join3 = (file: string, classes: string[], name: string): string => [file, ...classes, name].join('::');

/** Node ids, or undefined when a module file could not be found (a wrong path would abort pytest). */
function resolvedNodeIds(tests: readonly TestRef[], ctx: AdapterContext): string[] | undefined {
  const resolve = fileResolver(ctx.cwd);
  let complete = true;
  const checked = (rel: string): string | undefined => {
    const found = resolve(rel);
    if (!found) complete = false;
    return found;
  };
  const ids = uniq(tests.map((t) => pytestNodeId(t, checked)));
  return complete ? ids : undefined;
}

export const pytest: FrameworkAdapter = {
  name: 'pytest',
  // xunit1 keeps the `file` attribute (xunit2, pytest's default, drops it).
  report: (ctx) => ({ args: [`--junitxml=${ctx.junitPath}`, '-o', 'junit_family=xunit1'], env: {} }),
  // pytest-xdist; `-n 1` still spawns one worker, which keeps behaviour uniform across attempts.
  threads: (ctx) => ({ args: ['-n', String(ctx.threads)], env: {} }),
  select: (tests, ctx) => {
    if (tests.length === 0) return { args: [], env: {} };
    // Without an attempt directory (e.g. `dozhim failed --json`) nothing is written: node ids only.
    if (!ctx.junitPath) return { args: pytest.selectors(tests, ctx), env: {} };
    const plugin = pluginSelection(tests, ctx.junitPath);
    return { args: [...(resolvedNodeIds(tests, ctx) ?? []), ...plugin.args], env: plugin.env };
  },
  selectors: (tests, ctx) => {
    const resolve = fileResolver(ctx.cwd);
    return uniq(tests.map((t) => pytestNodeId(t, resolve)));
  },
};
