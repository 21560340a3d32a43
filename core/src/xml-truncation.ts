/**
 * Says in plain words where a truncated XML document ends: fast-xml-parser's validator reports a cut-off
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
export function findTruncation(xml: string): Truncation | undefined {
  const open: { name: string; at: number }[] = [];
  let inside: string | undefined;
  let rootClosed = false;
  let i = xml.indexOf('<');
  while (i !== -1 && inside === undefined) {
    const end = (token: string, from: number) => {
      const j = xml.indexOf(token, from);
      return j === -1 ? -1 : j + token.length;
    };
    let next: number;
    if (xml.startsWith('<!--', i)) {
      next = end('-->', i + 4);
      if (next === -1) inside = 'a comment';
    } else if (xml.startsWith('<![CDATA[', i)) {
      next = end(']]>', i + 9);
      if (next === -1) inside = 'a CDATA section';
    } else if (xml.startsWith('<?', i)) {
      next = end('?>', i + 2);
      if (next === -1) inside = 'a processing instruction';
    } else if (xml.startsWith('</', i)) {
      const name = /^<\/([^\s>]*)/.exec(xml.slice(i, i + 300))?.[1] ?? '';
      next = end('>', i);
      if (next === -1) inside = `the end tag </${name}`;
      else if (open.pop()?.name !== name)
        return undefined; // mismatched: not a truncation
      else if (open.length === 0) rootClosed = true;
    } else {
      const name = /^<([^\s/>]*)/.exec(xml.slice(i, i + 300))?.[1] ?? '';
      // The tag ends at the first `>` outside a quoted attribute value.
      let j = i + 1 + name.length;
      let quote: string | undefined;
      for (; j < xml.length; j++) {
        const ch = xml[j];
        if (quote) {
          if (ch === quote) quote = undefined;
        } else if (ch === '"' || ch === "'") quote = ch;
        else if (ch === '>') break;
      }
      if (j >= xml.length) {
        inside = quote ? `an attribute value of the <${name}> start tag` : `the <${name}> start tag`;
        next = -1;
      } else {
        next = j + 1;
        if (xml[j - 1] !== '/') open.push({ name, at: i });
        else if (open.length === 0) rootClosed = true;
      }
    }
    if (inside === undefined) i = xml.indexOf('<', next);
  }
  if (inside === undefined && (open.length === 0 || rootClosed)) return undefined;
  const { line, column } = positionOf(xml, xml.length);
  const innermost = open.at(-1);
  const chain = [...open].reverse().map((o) => `<${o.name}>`);
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
