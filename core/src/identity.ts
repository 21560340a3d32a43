/**
 * Canonical test identity.
 *
 * id = `<scope>::<name>` where scope is the classname, or the file when a producer gives no classname,
 * or the suite name as a last resort. Whitespace runs are folded to one space and trimmed, so
 * formatting differences between producers and shards do not create new ids.
 *
 * The file is deliberately not part of the id: pytest's xunit1 writes `file=` and xunit2 does not,
 * and sharded runs of the same test must map to the same id.
 */
export interface IdentityParts {
  suite?: string | undefined;
  classname?: string | undefined;
  name: string;
  file?: string | undefined;
}

export const ID_SEPARATOR = '::';

const fold = (s: string | undefined): string => (s ?? '').replace(/\s+/g, ' ').trim();

export function testId(parts: IdentityParts): string {
  const scope = fold(parts.classname) || fold(parts.file) || fold(parts.suite);
  const name = fold(parts.name);
  return scope ? `${scope}${ID_SEPARATOR}${name}` : name;
}

/** Splits an id back into scope and name (the name may itself contain `::`, the scope never does first). */
export function splitTestId(id: string): { scope: string; name: string } {
  const i = id.indexOf(ID_SEPARATOR);
  return i < 0 ? { scope: '', name: id } : { scope: id.slice(0, i), name: id.slice(i + ID_SEPARATOR.length) };
}
