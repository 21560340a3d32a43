/**
 * One definition of each query: the SQLite texts (db/sql.ts, positional `?` parameters) turned into
 * PostgreSQL's. Only what differs between the two dialects is rewritten:
 * - parameters: `?` → `$1..$n`;
 * - `INDEXED BY x` (a SQLite planner hint; PostgreSQL picks the partial index itself) is dropped;
 * - `<param> IS NULL`: PostgreSQL cannot infer a type from that alone, so the parameter is cast
 *   to text (the value is only tested for NULL there);
 * - a subquery in FROM without an alias gets one (PostgreSQL 15 requires it);
 * - a camelCase alias (`AS uploadedAt`) is quoted: PostgreSQL folds unquoted names to lower case,
 *   SQLite keeps them as written, and the row's keys are what the API returns.
 * String literals and quoted identifiers are copied untouched.
 */
export interface PgStatement {
  text: string;
  /** How many `$n` parameters (= the `?` of the SQLite text, bound in the same order). */
  params: number;
}

export function toPg(sqlite: string): PgStatement {
  let positional = 0;
  let out = '';
  for (let i = 0; i < sqlite.length; i++) {
    const ch = sqlite[i]!;
    if (ch === "'" || ch === '"') {
      const end = closingQuote(sqlite, i);
      out += sqlite.slice(i, end + 1);
      i = end;
      continue;
    }
    if (ch === '?') {
      out += `$${++positional}`;
      continue;
    }
    // Named parameters would need a name -> number map; db/sql.ts has positional ones only.
    if (ch === '@' && /[A-Za-z_]/.test(sqlite[i + 1] ?? ''))
      throw new Error(`toPg: named parameter in: ${sqlite}; db/sql.ts texts use positional ? only`);
    out += ch;
  }
  const text = out
    .replace(/\s+INDEXED\s+BY\s+[A-Za-z_][A-Za-z0-9_]*/gi, '')
    .replace(/(\$\d+)(\s+IS\s+NULL)/gi, '$1::text$2')
    .replace(/\bAS\s+([a-z][a-z0-9]*[A-Z][A-Za-z0-9]*)\b/g, 'AS "$1"');
  return { text: aliasSubqueries(text), params: positional };
}

/** Words that may follow a FROM subquery and are no alias. */
const NOT_ALIAS =
  /^(GROUP|WHERE|ORDER|LIMIT|UNION|EXCEPT|INTERSECT|JOIN|LEFT|INNER|CROSS|ON|HAVING|WINDOW|OFFSET|FOR)\b/i;

/** `FROM (SELECT ..)` / `JOIN (SELECT ..)` without an alias gets ` AS q<n>`. */
function aliasSubqueries(sql: string): string {
  let out = sql;
  let n = 0;
  const opener = /\b(FROM|JOIN)\s*\(\s*SELECT\b/gi;
  for (let m = opener.exec(out); m; m = opener.exec(out)) {
    const open = out.indexOf('(', m.index);
    let depth = 0;
    let close = -1;
    for (let i = open; i < out.length; i++) {
      if (out[i] === '(') depth++;
      else if (out[i] === ')' && --depth === 0) {
        close = i;
        break;
      }
    }
    if (close < 0) throw new Error(`toPg: unbalanced parentheses in: ${sql}`);
    const rest = out.slice(close + 1).trimStart();
    const aliased = /^(AS\b|[A-Za-z_])/i.test(rest) && !NOT_ALIAS.test(rest);
    if (!aliased) out = `${out.slice(0, close + 1)} AS q${++n}${out.slice(close + 1)}`;
    opener.lastIndex = open + 1;
  }
  return out;
}

/** Index of the quote that closes the one at `start` (a doubled quote is an escaped one). */
function closingQuote(s: string, start: number): number {
  const q = s[start]!;
  for (let i = start + 1; i < s.length; i++) {
    if (s[i] !== q) continue;
    if (s[i + 1] === q) {
      i++;
      continue;
    }
    return i;
  }
  throw new Error(`toPg: unterminated ${q} in: ${s}`);
}

/**
 * The same INSERT as many rows per statement: its `VALUES ($1, .., $n)` becomes
 * `SELECT * FROM unnest($1::t1[], .., $n::tn[])`, one array per column (`types`: the columns'
 * PostgreSQL types in order). One round trip and one plan for a whole batch of rows.
 */
export function toPgBatchInsert(insert: PgStatement, types: readonly string[]): string {
  const m = /VALUES\s*\(([^()]*)\)/i.exec(insert.text);
  if (!m) throw new Error(`toPgBatchInsert: no VALUES (...) in: ${insert.text}`);
  const params = m[1]!.split(',').map((p) => p.trim());
  if (params.length !== types.length || params.some((p, i) => p !== `$${i + 1}`))
    throw new Error(`toPgBatchInsert: expected ${types.length} positional parameters in: ${insert.text}`);
  const arrays = types.map((t, i) => `$${i + 1}::${t}[]`).join(', ');
  return `${insert.text.slice(0, m.index)}SELECT * FROM unnest(${arrays})${insert.text.slice(m.index + m[0].length)}`;
}

/** An INSERT that leaves an existing row alone (the concurrent writer's row wins, then both select it). */
export function orIgnore(insert: string): string {
  const returning = /\sRETURNING\s/i.exec(insert);
  if (!returning) return `${insert} ON CONFLICT DO NOTHING`;
  return `${insert.slice(0, returning.index)} ON CONFLICT DO NOTHING${insert.slice(returning.index)}`;
}

/** A SELECT that locks the rows it returns until the transaction ends (the run row's write lock). */
export const forUpdate = (select: string): string => `${select} FOR UPDATE`;
