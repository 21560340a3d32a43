import type { TestRef } from './types.js';

/**
 * Shared by Maven and Gradle: the JUnit `classname` is the fully-qualified class and `name` the method,
 * possibly decorated by JUnit 5 / parameterized runners (`method(String)[1]`, `method[1]`, display names).
 * Filters take method names, so the decoration is cut; a name that is still not a plain identifier
 * (a display name with spaces, or filter syntax) cannot be selected by method: the whole class is.
 */
export function jvmMethod(t: TestRef): string | undefined {
  // The decoration must follow the identifier directly: `adds two [1]` is a display name, not a method.
  return /^([\p{L}_$][\p{L}\p{N}_$]*)(?:[([].*)?$/su.exec(t.name.trim())?.[1];
}

/** Groups by class, keeping first-seen order; a class with any unselectable method is selected whole. */
export function byClass(tests: readonly TestRef[]): Map<string, Set<string> | 'all'> {
  const out = new Map<string, Set<string> | 'all'>();
  for (const t of tests) {
    const cls = t.classname;
    const method = jvmMethod(t);
    const prev = out.get(cls);
    if (method === undefined || prev === 'all') out.set(cls, 'all');
    else out.set(cls, (prev ?? new Set<string>()).add(method));
  }
  return out;
}
