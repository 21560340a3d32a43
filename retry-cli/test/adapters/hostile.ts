import type { TestRef } from '../../src/adapters/types.js';

/** A name built to break naive quoting or regex building: spaces, quotes, brackets, unicode, metachars. */
export const HOSTILE = `hostile [param-1] 'single' "double" é ✓ 日本 .*+?^$()|{}\\ /slash end`;

export function ref(classname: string, name: string, file?: string): TestRef {
  return { id: `${classname || file}::${name}`, suite: 'suite', classname, name, ...(file ? { file } : {}) };
}

/** Builds the RegExp a framework would build from a `--flag=<pattern>` argv element. */
export function patternOf(args: readonly string[], flag: string): string {
  const arg = args.find((a) => a.startsWith(`${flag}=`));
  if (!arg) throw new Error(`no ${flag}= in ${JSON.stringify(args)}`);
  return arg.slice(flag.length + 1);
}
