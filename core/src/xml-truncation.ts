/**
 * Says in plain words where a truncated XML document ends: a parser reports a cut-off
 * report as e.g. `Invalid '["testsuites","testsuite","testcase"]' found.` at line 1, column 1, or names
 * a half-written tag. Only run on the error path; linear in the input.
 */
import { positionOf } from './junit-errors.js';

export interface Truncation {
  line: number;
  column: number;
  /** e.g. `the file ends inside <failure> (opened at line 60, column 7), in <testcase> in <testsuite>` */
  message: string;
}

/**
 * When `xml` is a well-nested prefix that stops before its root element closes (or inside a tag,
 * comment, CDATA section or attribute value), where it ends and what was open; else undefined (the
 * document is broken some other way, e.g. mismatched tags: the validator's message stands).
 */
// Sticky; the name is matched atomically (lookahead + backreference) and each attribute alternative
// starts with a different character, so a failed match backtracks linearly, never quadratically
// (256 KB of "<" or of one letter).
const START_TAG = /<(?=([^\s/>]*))\1(?:[^>"']|"[^"]*"|'[^']*')*>/y;
const END_TAG = /<\/([^\s>]*)[^>]*>/y;
const NAME = /<\/?([^\s/>]*)/y;
/** Garbage (`<<<`, `< 3`) is not a cut-off report: the validator's message is better there. */
const XML_NAME = /^[A-Za-z_:][\w.:-]{0,199}$/;
/** Enclosing elements named in the message, innermost first. */
const MAX_CHAIN = 6;

export function findTruncation(xml: string): Truncation | undefined {
  const open: { name: string; at: number }[] = [];
  let inside: string | undefined;
  let rootClosed = false;
  const nameAt = (i: number) => {
    NAME.lastIndex = i;
    return NAME.exec(xml)?.[1] ?? '';
  };
  for (let i = xml.indexOf('<'); i !== -1; ) {
    let next: number;
    const skipTo = (token: string, from: number, what: string) => {
      const j = xml.indexOf(token, from);
      if (j === -1) inside = what;
      return j + token.length;
    };
    if (xml.startsWith('<!--', i)) next = skipTo('-->', i + 4, 'a comment');
    else if (xml.startsWith('<![CDATA[', i)) next = skipTo(']]>', i + 9, 'a CDATA section');
    else if (xml.startsWith('<?', i)) next = skipTo('?>', i + 2, 'a processing instruction');
    else if (xml.startsWith('</', i)) {
      END_TAG.lastIndex = i;
      const m = END_TAG.exec(xml);
      if (!m) {
        const name = nameAt(i);
        if (name !== '' && !XML_NAME.test(name)) return undefined;
        inside = `the end tag </${name}`;
        break;
      }
      if (open.pop()?.name !== m[1]) return undefined; // mismatched: not a truncation
      if (open.length === 0) rootClosed = true;
      next = END_TAG.lastIndex;
    } else {
      START_TAG.lastIndex = i;
      const m = START_TAG.exec(xml);
      if (!m) {
        // Ends inside this start tag: in a quoted value when an odd quote is left open.
        const name = nameAt(i);
        if (!XML_NAME.test(name)) return undefined;
        const rest = xml.slice(i + 1 + name.length).replace(/"[^"]*"|'[^']*'/g, '');
        inside = /["']/.test(rest)
          ? `an attribute value of the <${name}> start tag`
          : `the <${name}> start tag`;
        break;
      }
      next = START_TAG.lastIndex;
      if (!XML_NAME.test(m[1]!)) return undefined;
      if (xml[next - 2] !== '/') open.push({ name: m[1]!, at: i });
      else if (open.length === 0) rootClosed = true;
    }
    if (inside !== undefined) break;
    i = xml.indexOf('<', next);
  }
  if (inside === undefined && (open.length === 0 || rootClosed)) return undefined;
  const { line, column } = positionOf(xml, xml.length);
  const innermost = open.at(-1);
  const chain = [...open].reverse().map((o) => `<${o.name}>`);
  if (chain.length > MAX_CHAIN) chain.splice(MAX_CHAIN - 1, chain.length - MAX_CHAIN, '…');
  let message: string;
  if (inside !== undefined) {
    message = `the file ends inside ${inside}${chain.length > 0 ? `, in ${chain.join(' in ')}` : ''}`;
  } else {
    const at = positionOf(xml, innermost!.at);
    const outer = chain.slice(1);
    message =
      `the file ends inside <${innermost!.name}> (opened at line ${at.line}, column ${at.column})` +
      (outer.length > 0 ? `, in ${outer.join(' in ')}` : '');
  }
  return { line, column, message: `${message}: the report is truncated` };
}
