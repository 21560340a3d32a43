/**
 * The checks every JUnit input passes before the XML parser sees it: size cap, decoding, empty input,
 * no DTD, XML-invalid characters, well-formedness. Each failure is a typed JUnitParseError.
 */
import { XMLValidator } from './fxp.js';
import { JUnitParseError, positionOf } from './junit-errors.js';
import { replaceInvalidXmlChars, stripAnsi } from './xml-text.js';
import { findTruncation } from './xml-truncation.js';

export interface InputLimits {
  source: string;
  maxBytes: number;
}

export function tooLarge(source: string, bytes: number, maxBytes: number): JUnitParseError {
  return new JUnitParseError(
    'too-large',
    `${source}: ${bytes} bytes exceeds the limit of ${maxBytes} bytes`,
    source,
  );
}

/** Returns well-formed, DTD-free XML text ready for the parser, or throws JUnitParseError. */
export function prepareXml(input: string | Uint8Array, { source, maxBytes }: InputLimits): string {
  const bytes = typeof input === 'string' ? utf8Length(input, maxBytes) : input.byteLength;
  if (bytes > maxBytes) throw tooLarge(source, bytes, maxBytes);
  let xml = typeof input === 'string' ? input : decode(input);
  if (xml.charCodeAt(0) === 0xfeff) xml = xml.slice(1);
  if (!/\S/.test(xml)) throw new JUnitParseError('empty', `${source}: the report is empty`, source);
  // ESC is XML-invalid too: strip whole colour sequences before the generic replacement. Both run
  // before the declaration check, so `<\x1b[0m!DOCTYPE` cannot hide a DTD from it.
  xml = replaceInvalidXmlChars(stripAnsi(xml));
  rejectDeclarations(xml, source);
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    // A cut-off report is the common case (a killed job, a full disk): say so, where it ends and
    // what was open, instead of the validator's message about the last half-written tag.
    const cut = findTruncation(xml);
    if (cut) {
      const { line, column, message } = cut;
      throw new JUnitParseError(
        'malformed',
        `${source}: line ${line}, column ${column}: ${message}`,
        source,
        line,
        column,
      );
    }
    const { msg, line, col } = valid.err;
    throw new JUnitParseError(
      'malformed',
      `${source}: line ${line}, column ${col}: not well-formed XML: ${msg}`,
      source,
      line,
      col,
    );
  }
  return xml;
}

/**
 * UTF-8 byte length for the size check. When even 3 bytes per UTF-16 unit stays under the cap, the
 * O(n) count is skipped and the length (a lower bound) returned: enough to pass the check.
 */
function utf8Length(s: string, maxBytes: number): number {
  return s.length * 3 <= maxBytes ? s.length : Buffer.byteLength(s, 'utf8');
}

/**
 * Decodes bytes by BOM, else by the XML declaration's encoding when the platform knows it (some Java
 * and PHP producers write ISO-8859-1), else UTF-8. Invalid sequences become U+FFFD, never an error.
 */
function decode(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes);
  // A UTF-8 BOM wins over whatever the declaration says.
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
    return new TextDecoder('utf-8').decode(bytes);
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 200));
  const declared = /^(?:\uFEFF|ï»¿)?\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head)?.[1];
  // A declaration readable as ASCII means the bytes are not UTF-16, whatever it claims.
  if (declared && !/^utf-?16/i.test(declared)) {
    try {
      return new TextDecoder(declared).decode(bytes);
    } catch {
      // Unknown label: fall through to UTF-8, the JUnit norm.
    }
  }
  return new TextDecoder('utf-8').decode(bytes);
}

/**
 * Rejects any markup declaration (`<!DOCTYPE`, `<!ENTITY`, `<!ELEMENT`, conditional sections…)
 * outside comments and CDATA. Nothing in JUnit needs a DTD, and refusing them outright closes XXE,
 * out-of-band/parameter-entity exfiltration and entity-expansion bombs without relying on parser
 * settings. CDATA and comments are skipped because captured output often contains HTML pages.
 */
function rejectDeclarations(xml: string, source: string): void {
  for (let i = xml.indexOf('<!'); i !== -1; ) {
    let end: number;
    if (xml.startsWith('<!--', i)) end = xml.indexOf('-->', i + 4);
    else if (xml.startsWith('<![CDATA[', i)) end = xml.indexOf(']]>', i + 9);
    else if (!/^<!(?:\[|[A-Za-z])/.test(xml.slice(i, i + 3))) {
      // Neither comment, CDATA nor declaration: not XML. Said here because fast-xml-parser would
      // take `<!-` for an element and silently swallow what follows.
      const { line, column } = positionOf(xml, i);
      throw new JUnitParseError('malformed', `${source}: stray "<!" at line ${line}`, source, line, column);
    } else {
      const { line, column } = positionOf(xml, i);
      const what = /^<!\[?[A-Za-z]*/.exec(xml.slice(i, i + 20))?.[0] ?? '<!';
      throw new JUnitParseError(
        'forbidden-dtd',
        `${source}: ${what} at line ${line}: DTDs and entity declarations are not allowed (never resolved)`,
        source,
        line,
        column,
      );
    }
    if (end === -1) return; // unterminated: the validator reports it as malformed
    i = xml.indexOf('<!', end + 2);
  }
}
