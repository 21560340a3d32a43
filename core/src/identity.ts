/**
 * Canonical test identity: two results are the same test only if the producer says so.
 *
 *   id    = `<scope>::<name>`
 *   scope = `[<project>] <file> > <classname>`, each part only when present and needed:
 *     - project: Playwright's project (its `<testsuite hostname>`), written `[chromium] `;
 *     - file: the testcase's (or enclosing suite's) `file`, else the suite name when it is a source
 *       file path (`tests/a.test.ts`: jest-junit `{filepath}`, vitest, Playwright). Left out when the
 *       classname already identifies the file (equal to it, or its dotted module path as in pytest's
 *       `tests.test_a.TestX` for `tests/test_a.py`), so pytest xunit1 (writes `file`) and xunit2 (does
 *       not) give the same id;
 *     - classname: PHPUnit's `class` when there is no `classname`.
 *   Without classname and file, the suite name is the scope (go-junit-report style packages).
 *
 * Names are compared exactly: `a b` and `a  b` are two tests. Suite names that are not files are not
 * part of the id (jest-junit's `{title}` suite name depends on which test of the file ran first, and
 * shards may name suites differently). See core/README.md for the per-producer table.
 */
export interface IdentityParts {
  suite?: string | undefined;
  classname?: string | undefined;
  name: string;
  file?: string | undefined;
  /** Playwright project name (the `hostname` of its `<testsuite>`). */
  project?: string | undefined;
}

export const ID_SEPARATOR = '::';
/**
 * The longest identity text (id, name, classname, suite, file) the reporter takes: the JSON API's
 * cap (wire ResultInput) and the default of its byte cap (DOZHIM_MAX_FIELD_BYTES). Longer ones are
 * refused, never cut: a cut identity could merge two tests and hide a failure.
 */
export const MAX_IDENT_CHARS = 65_536;
/** Separates the file from the classname inside a scope. */
export const SCOPE_FILE_SEPARATOR = ' > ';
/**
 * Scopes never contain `::` (splitTestId splits at the first one). A classname that has one
 * (`crate::module`, C++ namespaces) is written with U+2237 PROPORTION instead.
 */
const SCOPE_COLONS = '\u2237';

/** A suite name that is a source file path, e.g. `tests/a.test.ts`, `arith.spec.mjs`, `test_x.py`. */
const SOURCE_FILE =
  /\.(?:[cm]?[jt]sx?|py|rb|php|go|java|kt|kts|scala|groovy|cs|fs|vb|swift|rs|c|cc|cpp|ex|exs|feature|robot)$/i;
export const isSourceFilePath = (s: string): boolean => SOURCE_FILE.test(s) && !/\s/.test(s);

/** True when the classname already names the file: equal to it, or its (dotted) module path. */
function classnameCoversFile(classname: string, file: string): boolean {
  if (classname === file) return true;
  const stem = file
    .replace(/\\/g, '/')
    .replace(/^\.\//, '')
    .replace(/\.[^./]*$/, '');
  const dotted = stem.replace(/\//g, '.');
  return classname === stem || classname === dotted || classname.startsWith(`${dotted}.`);
}

/** The file part of the scope, or undefined when it adds nothing the classname does not say. */
function fileForId(parts: IdentityParts): string | undefined {
  const file = parts.file || (parts.suite && isSourceFilePath(parts.suite) ? parts.suite : undefined);
  if (!file || (parts.classname && classnameCoversFile(parts.classname, file))) return undefined;
  return file;
}

export function testId(parts: IdentityParts): string {
  const classname = parts.classname ?? '';
  const file = fileForId(parts);
  let scope =
    classname && file
      ? `${file}${SCOPE_FILE_SEPARATOR}${classname}`
      : classname || file || (parts.suite ?? '');
  if (parts.project) scope = `[${parts.project}] ${scope}`;
  scope = scope.replaceAll(ID_SEPARATOR, SCOPE_COLONS);
  return scope ? `${scope}${ID_SEPARATOR}${parts.name}` : parts.name;
}

/** Splits an id back into scope and name (the name may itself contain `::`, the scope never does). */
export function splitTestId(id: string): { scope: string; name: string } {
  const i = id.indexOf(ID_SEPARATOR);
  return i < 0 ? { scope: '', name: id } : { scope: id.slice(0, i), name: id.slice(i + ID_SEPARATOR.length) };
}

/**
 * The one run-id rule: 1-200 characters of `A-Z a-z 0-9 . _ : @ / -`. The reporter validates its
 * routes with it, the CLI its `--run-id`/`DOZHIM_RUN_ID` (a bad value is an error) and the ids it
 * takes from CI variables (`sanitizeRunId`: other characters become `-`).
 */
export const RUN_ID_CHARS = 'A-Za-z0-9._:@/-';
export const RUN_ID_MAX_LENGTH = 200;
export const RUN_ID_PATTERN = new RegExp(`^[${RUN_ID_CHARS}]{1,${RUN_ID_MAX_LENGTH}}$`);
export const RUN_ID_RULE = `run ids are 1-${RUN_ID_MAX_LENGTH} characters of A-Z a-z 0-9 . _ : @ / -`;
const NOT_RUN_ID_CHAR = new RegExp(`[^${RUN_ID_CHARS}]`, 'g');

/** A CI variable made into a valid run id: characters outside the rule become `-`, at most 200. */
export const sanitizeRunId = (s: string): string =>
  s.replace(NOT_RUN_ID_CHAR, '-').slice(0, RUN_ID_MAX_LENGTH);
