/**
 * Text helpers shared by the JUnit reader and writer: entity decoding, escaping, XML-invalid
 * characters, ANSI escape sequences and truncation. All linear in the input length.
 */

/**
 * Characters XML 1.0 forbids (C0 controls except tab/LF/CR, U+FFFE/U+FFFF) and lone surrogates.
 * ESC (U+001B) is included: callers strip ANSI sequences first so colour codes vanish whole.
 */
const XML_INVALID =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
  /[\0-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export const REPLACEMENT_CHAR = '\uFFFD';

/**
 * Any character that may be XML-invalid (every surrogate, valid pairs included): a plain class, which
 * V8 scans many times faster than XML_INVALID's lookarounds. Text without one (nearly all input) is
 * returned as it is without running XML_INVALID at all.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const MAYBE_INVALID = /[\0-\x08\x0B\x0C\x0E-\x1F\uD800-\uDFFF\uFFFE\uFFFF]/;

/** MAYBE_INVALID.test(s); a short string (an attribute) is checked by a loop, cheaper than a regex call. */
function maybeInvalid(s: string): boolean {
  if (s.length > 32) return MAYBE_INVALID.test(s);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 ? c !== 0x9 && c !== 0xa && c !== 0xd : c >= 0xd800 && (c <= 0xdfff || c >= 0xfffe))
      return true;
  }
  return false;
}

/** Replaces XML-invalid characters (NUL, control characters, lone surrogates) with U+FFFD. */
export function replaceInvalidXmlChars(s: string): string {
  if (!maybeInvalid(s)) return s;
  XML_INVALID.lastIndex = 0;
  return XML_INVALID.test(s) ? s.replace(XML_INVALID, REPLACEMENT_CHAR) : s;
}

/** Removes XML-invalid characters; what the writer does so its output always parses. */
export function stripInvalidXmlChars(s: string): string {
  if (!maybeInvalid(s)) return s;
  XML_INVALID.lastIndex = 0;
  return XML_INVALID.test(s) ? s.replace(XML_INVALID, '') : s;
}

/**
 * ANSI escape sequences: CSI (`ESC[31m`, `ESC[2K`), OSC (`ESC]8;;url BEL`, hyperlinks) and two-byte
 * escapes. Also pytest's spelling: its junitxml writes an XML-invalid ESC as the literal text `#x1B`.
 */
const ANSI =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI sequences start with ESC.
  /\x1B(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1B]*(?:\x07|\x1B\\)|[@-Z\\-_])|(?:#x1B\[|\x9B)[0-?]*[ -/]*[@-~]/g;

export function stripAnsi(s: string): string {
  if (s.indexOf('\x1B') === -1 && s.indexOf('#x1B') === -1 && s.indexOf('\x9B') === -1) return s;
  return s.replace(ANSI, '');
}

/**
 * Decodes the five predefined XML entities and numeric character references in one pass (the parser
 * calls this for every attribute and text node, so it avoids regexes). Unknown named entities are
 * left as written: there is no DTD (the reader rejects them) so they cannot be defined. A reference
 * to a character XML forbids (`&#0;`) becomes U+FFFD, except ESC (`&#x1B;`), which is kept so the
 * ANSI sequence it starts can be stripped whole.
 */
const MAX_REFERENCE_LENGTH = 12;

export function decodeXmlEntities(s: string): string {
  let amp = s.indexOf('&');
  if (amp === -1) return s;
  let out = '';
  let last = 0;
  while (amp !== -1) {
    // Look for the `;` only as far as the longest reference (`&#x10FFFF;`): an unbounded search
    // would make a value full of bare `&` quadratic.
    const semi = s.slice(amp + 2, amp + MAX_REFERENCE_LENGTH).indexOf(';');
    const decoded = semi === -1 ? undefined : decodeReference(s.slice(amp + 1, amp + 2 + semi));
    if (decoded === undefined) {
      amp = s.indexOf('&', amp + 1);
      continue;
    }
    out += s.slice(last, amp) + decoded;
    last = amp + 3 + semi;
    amp = s.indexOf('&', last);
  }
  return out + s.slice(last);
}

export function decodeReference(ref: string): string | undefined {
  switch (ref) {
    case 'lt':
      return '<';
    case 'gt':
      return '>';
    case 'amp':
      return '&';
    case 'quot':
      return '"';
    case 'apos':
      return "'";
  }
  if (ref.charCodeAt(0) !== 0x23 /* # */) return undefined;
  const hex = ref[1] === 'x' || ref[1] === 'X';
  const digits = ref.slice(hex ? 2 : 1);
  if (!(hex ? /^[0-9a-fA-F]+$/ : /^[0-9]+$/).test(digits)) return undefined;
  const code = Number.parseInt(digits, hex ? 16 : 10);
  if (code === 0x1b) return '\x1B';
  const allowed =
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff);
  return allowed ? String.fromCodePoint(code) : REPLACEMENT_CHAR;
}

/**
 * ANSI sequences stripped and any ESC left over replaced. For text that came out of the parser,
 * where ESC is the only XML-invalid character that can remain (raw ones are replaced before parsing,
 * references by decodeXmlEntities).
 */
export function cleanParsedText(s: string): string {
  if (s.indexOf('\x1B') === -1 && s.indexOf('#x1B') === -1 && s.indexOf('\x9B') === -1) return s;
  return stripAnsi(s).replaceAll('\x1B', REPLACEMENT_CHAR);
}

const TEXT_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#13;' };
const ATTR_ESCAPES: Record<string, string> = { ...TEXT_ESCAPES, '"': '&quot;', '\n': '&#10;', '\t': '&#9;' };

/** Escapes element text; CR is written as a reference because parsers normalize a raw CR away. */
export function escapeXmlText(s: string): string {
  return stripInvalidXmlChars(s).replace(/[&<>\r]/g, (c) => TEXT_ESCAPES[c]!);
}

/** Escapes an attribute value; newlines and tabs as references, else attribute normalization eats them. */
export function escapeXmlAttr(s: string): string {
  return stripInvalidXmlChars(s).replace(/[&<>"\r\n\t]/g, (c) => ATTR_ESCAPES[c]!);
}

/**
 * Shortens `s` to at most `max` characters, keeping the head and the tail (a stack trace's top and a
 * log's last lines are what people read) around a visible marker that says how much was dropped.
 */
export function truncateMiddle(s: string, max: number): string {
  if (s.length <= max) return s;
  const marker = (dropped: number) => `\n…[dozhim: ${dropped} characters truncated]…\n`;
  const room = max - marker(s.length).length;
  if (room <= 0) return s.slice(0, Math.max(0, max));
  let head = Math.ceil(room / 2);
  let tailStart = s.length - (room - head);
  // Never cut a surrogate pair in half.
  if (isLowSurrogate(s.charCodeAt(head))) head--;
  if (isLowSurrogate(s.charCodeAt(tailStart))) tailStart++;
  return s.slice(0, head) + marker(tailStart - head) + s.slice(tailStart);
}

const isLowSurrogate = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;
