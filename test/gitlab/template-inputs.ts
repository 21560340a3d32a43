// Pure checks of a GitLab component file's `spec: inputs` against its body and its callers. GitLab rejects
// an include that passes an unknown input or omits a required one; gitlab-ci-local accepts both silently,
// so these checks stand in for that part of GitLab's validation.
import { parseAllDocuments } from 'yaml';

export interface InputSpec {
  type?: 'string' | 'number' | 'boolean' | 'array';
  default?: unknown;
  description?: string;
  options?: unknown[];
  regex?: string;
}

export interface ComponentFile {
  inputs: Record<string, InputSpec>;
  /** The job definitions (the second YAML document), as text. */
  body: string;
  /** The job definitions, parsed (anchors resolved; `$[[ ]]` left as text). */
  jobs: Record<string, unknown>;
}

/** Splits a component file into its spec header and its body (GitLab: two YAML documents, `---`). */
export function readComponent(text: string): ComponentFile {
  const docs = parseAllDocuments(text);
  if (docs.length !== 2)
    throw new Error(`a component has a spec document and a body, found ${docs.length} documents`);
  for (const d of docs) if (d.errors.length > 0) throw new Error(`YAML error: ${d.errors[0]!.message}`);
  const spec = docs[0]!.toJS() as { spec?: { inputs?: Record<string, InputSpec> } };
  const inputs = spec.spec?.inputs;
  if (!inputs) throw new Error('no spec: inputs in the first document');
  const bodyStart = docs[1]!.range[0];
  return { inputs, body: text.slice(bodyStart), jobs: docs[1]!.toJS() as Record<string, unknown> };
}

/** Names used as `$[[ inputs.NAME ]]` (with or without functions such as `| expand_vars`). */
export function usedInputs(body: string): Set<string> {
  return new Set(
    [...body.matchAll(/\$\[\[\s*inputs\.([A-Za-z0-9_-]+)\s*(?:\|[^\]]*)?\]\]/g)].map((m) => m[1]!),
  );
}

/** What is wrong with the inputs of a component: used but undeclared, declared but unused, bad specs. */
export function inputProblems(c: ComponentFile): string[] {
  const problems: string[] = [];
  const declared = new Set(Object.keys(c.inputs));
  const used = usedInputs(c.body);
  for (const n of used) if (!declared.has(n)) problems.push(`input ${n} is used but not declared`);
  for (const n of declared) if (!used.has(n)) problems.push(`input ${n} is declared but never used`);
  for (const [name, s] of Object.entries(c.inputs)) {
    if (!s.description?.trim()) problems.push(`input ${name} has no description`);
    const type = s.type ?? 'string';
    if (!s.type && !s.options) problems.push(`input ${name} has no type`);
    if (!('default' in s)) continue;
    const d = s.default;
    const typeOk =
      (type === 'string' && typeof d === 'string') ||
      (type === 'number' && typeof d === 'number') ||
      (type === 'boolean' && typeof d === 'boolean') ||
      (type === 'array' && Array.isArray(d));
    if (!typeOk) problems.push(`input ${name}: default ${JSON.stringify(d)} is not a ${type}`);
    if (s.options && !s.options.includes(d))
      problems.push(`input ${name}: default is not one of its options`);
    if (s.regex && typeof d === 'string' && !new RegExp(s.regex).test(d)) {
      problems.push(`input ${name}: default ${JSON.stringify(d)} does not match ${s.regex}`);
    }
  }
  return problems;
}

/** The `inputs:` of every `include: component:` naming `<anything>/<name>@<version>` in a pipeline file. */
export function componentIncludes(ciYaml: string, name: string): Record<string, unknown>[] {
  const docs = parseAllDocuments(ciYaml);
  const found: Record<string, unknown>[] = [];
  for (const d of docs) {
    const v = d.toJS() as { include?: unknown } | null;
    const includes = v && typeof v === 'object' ? v.include : undefined;
    for (const inc of Array.isArray(includes) ? includes : includes ? [includes] : []) {
      const i = inc as { component?: unknown; file?: unknown; local?: unknown; remote?: unknown };
      const path = [i.file, i.local, i.remote].find((x) => typeof x === 'string') as string | undefined;
      const target = typeof i.component === 'string' ? i.component.split('@')[0]! : (path ?? '');
      if (
        target.endsWith(`/${name}`) ||
        target.endsWith(`/${name}.yml`) ||
        target.endsWith(`/${name}/template.yml`)
      ) {
        found.push((inc as { inputs?: Record<string, unknown> }).inputs ?? {});
      }
    }
  }
  return found;
}

/** What GitLab would refuse in one include's inputs: unknown names, missing required ones, bad values. */
export function includeProblems(c: ComponentFile, given: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const n of Object.keys(given)) if (!(n in c.inputs)) problems.push(`unknown input ${n}`);
  for (const [n, s] of Object.entries(c.inputs)) {
    if (!('default' in s) && !(n in given)) problems.push(`required input ${n} is missing`);
    if (!(n in given)) continue;
    const v = given[n];
    const type = s.type ?? 'string';
    // A `$VARIABLE` or `$[[ inputs.x ]]` passed on is checked where it is defined, not here.
    if (typeof v === 'string' && v.includes('$')) continue;
    if (type === 'number' && typeof v !== 'number') problems.push(`input ${n} must be a number`);
    if (type === 'boolean' && typeof v !== 'boolean') problems.push(`input ${n} must be a boolean`);
    if (type === 'string' && typeof v !== 'string') problems.push(`input ${n} must be a string`);
    if (s.options && !s.options.includes(v))
      problems.push(`input ${n}: ${JSON.stringify(v)} is not one of its options`);
    if (s.regex && typeof v === 'string' && !new RegExp(s.regex).test(v))
      problems.push(`input ${n} does not match ${s.regex}`);
  }
  return problems;
}
