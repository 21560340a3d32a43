import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, delimiter, dirname, join } from 'node:path';
import type { CommandAdditions, TestRef } from './types.js';

/**
 * A pytest plugin that keeps exactly the selected tests, whatever paths the user's command names.
 *
 * Node ids alone are not enough: pytest runs the UNION of its positional arguments, so
 * `pytest tests/ tests/test_a.py::test_x` runs all of tests/ (and test_x twice). The plugin deselects,
 * after collection, every item whose JUnit identity is not selected, and drops duplicate node ids.
 * The identity is computed as pytest's junitxml computes it (mangle_test_address on the node id), so it
 * matches the report's classname/name without any path resolution. Loaded with `-p` from a directory
 * put on PYTHONPATH; xdist workers inherit both and deselect identically.
 */
export const PLUGIN_MODULE = 'dozhim_select';
export const SELECTION_ENV = 'DOZHIM_PYTEST_SELECT';

const PLUGIN_SOURCE = `"""dozhim: keep only the tests selected for this rerun (written by dozhim, safe to delete)."""
import json
import os
import re


def _junit_identity(nodeid):
    # Same as _pytest.junitxml.mangle_test_address, plus the join junitxml does for classname.
    path, bracket, params = nodeid.partition("[")
    names = path.split("::")
    names[0] = re.sub(r"\\.py$", "", names[0].replace("/", "."))
    names[-1] += bracket + params
    return ".".join(names[:-1]), names[-1]


def pytest_collection_modifyitems(session, config, items):
    selection = os.environ.get("${SELECTION_ENV}")
    if not selection:
        return
    with open(selection, encoding="utf-8") as f:
        chosen = json.load(f)
    wanted = {tuple(pair) for pair in chosen["tests"]}
    # Units (a module or package that failed to collect): every test whose classname is inside them.
    units = tuple(chosen["units"])

    def selected(nodeid):
        classname, name = _junit_identity(nodeid)
        return (classname, name) in wanted or any(
            classname == u or classname.startswith(u + ".") for u in units
        )

    keep, drop, seen = [], [], set()
    for item in items:
        if selected(item.nodeid) and item.nodeid not in seen:
            seen.add(item.nodeid)
            keep.append(item)
        else:
            drop.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
`;

/**
 * Writes the plugin and the selection (JSON: `tests` as [classname, name] pairs, `units` as dotted
 * module or package paths whose tests are all kept) next to the attempt's report, and
 * returns what loads them. The only adapter with a side effect: pytest has no argv form for "exactly these".
 */
export function pluginSelection(
  tests: readonly TestRef[],
  units: readonly string[],
  junitPath: string,
): CommandAdditions {
  // One folder per report path: shards of one attempt sharing a state dir must not overwrite each other.
  const dir = join(dirname(junitPath), `dozhim-pytest-${basename(junitPath, '.xml')}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${PLUGIN_MODULE}.py`), PLUGIN_SOURCE);
  const selectionFile = join(dir, 'selection.json');
  writeFileSync(selectionFile, JSON.stringify({ tests: tests.map((t) => [t.classname, t.name]), units }));
  const pythonPath = [dir, process.env.PYTHONPATH].filter(Boolean).join(delimiter);
  return { args: ['-p', PLUGIN_MODULE], env: { PYTHONPATH: pythonPath, [SELECTION_ENV]: selectionFile } };
}
