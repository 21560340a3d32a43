/**
 * The checks every JUnit input passes before the XML parser sees it: size cap, decoding, empty input,
 * XML-invalid characters, ANSI sequences, no DTD. Each failure is a typed JUnitParseError. The same
 * steps run on a whole string (`prepareXml`) or on a stream of chunks (`InputCleaner`);
 * well-formedness is the SAX parser's job (junit-sax.ts).
 */
import { StringDecoder } from 'node:string_decoder';
import { JUnitParseError, positionOf } from './junit-errors.js';
import { REPLACEMENT_CHAR, replaceInvalidXmlChars, stripAnsi } from './xml-text.js';

export interface InputLimits {
  source: string;
  maxBytes: number;
  /**
   * XML-invalid characters: `replace` (default) them with U+FFFD; or `refuse`: leave them in bytes
   * input for the parser, which fails on the first one ("disallowed character"), and the caller
   * reads the input again with `replace` (junit-reader.ts). Decoded bytes cannot hold a lone
   * surrogate, the one invalid character saxes misses, so the parser sees every other one; most
   * reports have none and skip the scan (a regex over every character) entirely. Text input is
   * always scanned.
   */
  invalidChars?: 'replace' | 'refuse';
}

export function tooLarge(source: string, bytes: number, maxBytes: number): JUnitParseError {
  return new JUnitParseError(
    'too-large',
    `${source}: ${bytes} bytes exceeds the limit of ${maxBytes} bytes`,
    source,
  );
}

const empty = (source: string) => new JUnitParseError('empty', `${source}: the report is empty`, source);

/** Returns DTD-free XML text with invalid characters and ANSI sequences cleaned, or throws JUnitParseError. */
export function prepareXml(
  input: string | Uint8Array,
  { source, maxBytes, invalidChars }: InputLimits,
): string {
  const bytes = typeof input === 'string' ? utf8Length(input, maxBytes) : input.byteLength;
  if (bytes > maxBytes) throw tooLarge(source, bytes, maxBytes);
  let xml = typeof input === 'string' ? input : new TextDecoder(detectEncoding(input)).decode(input);
  if (xml.charCodeAt(0) === 0xfeff) xml = xml.slice(1);
  if (!/\S/.test(xml)) throw empty(source);
  xml = cleanChunk(xml, invalidChars !== 'refuse' || typeof input === 'string');
  return new MarkupFilter(source).filter(xml, true);
}

/**
 * ESC is XML-invalid too: whole colour sequences are stripped before the generic replacement. Both run
 * before the declaration check, so `<\x1b[0m!DOCTYPE` cannot hide a DTD from it.
 */
const cleanChunk = (s: string, replaceInvalid: boolean): string =>
  restoreMark(replaceInvalid ? replaceInvalidXmlChars(stripAnsi(s)) : stripAnsi(s));

/**
 * UTF-8 byte length for the size check. When even 3 bytes per UTF-16 unit stays under the cap, the
 * O(n) count is skipped and the length (a lower bound) returned: enough to pass the check.
 */
function utf8Length(s: string, maxBytes: number): number {
  return s.length * 3 <= maxBytes ? s.length : Buffer.byteLength(s, 'utf8');
}

/** How many leading bytes `detectEncoding` looks at (BOM and XML declaration). */
const HEAD_BYTES = 200;

/**
 * The encoding by BOM, else by the XML declaration's encoding when the platform knows it (some Java
 * and PHP producers write ISO-8859-1), else UTF-8. The TextDecoder drops the BOM; invalid sequences
 * become U+FFFD, never an error.
 */
function detectEncoding(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  // A UTF-8 BOM wins over whatever the declaration says.
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8';
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, HEAD_BYTES));
  const declared = /^(?:\uFEFF|ï»¿)?\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head)?.[1];
  // A declaration readable as ASCII means the bytes are not UTF-16, whatever it claims.
  if (declared && !/^utf-?16/i.test(declared)) {
    try {
      // The canonical name (`UTF-8`, `utf8` → `utf-8`): chunkDecoder picks its decoder by it.
      return new TextDecoder(declared).encoding;
    } catch {
      // Unknown label: fall through to UTF-8, the JUnit norm.
    }
  }
  return 'utf-8';
}

/**
 * How far from a chunk's end an ANSI sequence may start and still be held back for the next chunk, so
 * that it is stripped whole. Only a longer one (an OSC hyperlink) can be cut at a chunk edge, and then
 * loses its ESC to U+FFFD instead of vanishing whole (cosmetic only).
 */
const FALLBACK_CARRY = 64;

/** First position at or after `from` of any of `needles`, else -1. */
function firstOf(s: string, from: number, ...needles: string[]): number {
  let first = -1;
  for (const n of needles) {
    const i = s.indexOf(n, from);
    if (i !== -1 && (first === -1 || i < first)) first = i;
  }
  return first;
}

/** Bytes to text across chunk edges (a multi-byte sequence may be split between two chunks). */
interface ChunkDecoder {
  write(bytes: Uint8Array): string;
  end(): string;
}

/**
 * UTF-8 (nearly every report) through Node's StringDecoder: 3-4 times faster than a streaming
 * TextDecoder (which goes through ICU), with the same U+FFFD for each invalid sequence, also when it
 * is split between chunks (junit-stream.test.ts splits at every byte). Like TextDecoder it drops
 * a leading UTF-8 BOM (once: a second one is the cleaner's to drop, as before). Other encodings keep
 * TextDecoder.
 */
function chunkDecoder(encoding: string): ChunkDecoder {
  if (encoding === 'utf-8') {
    const d = new StringDecoder('utf8');
    let first = true;
    return {
      write(bytes) {
        if (first && bytes.length > 0) {
          first = false;
          if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
        }
        return d.write(bytes);
      },
      end: () => d.end(),
    };
  }
  const d = new TextDecoder(encoding);
  return { write: (bytes) => d.decode(bytes, { stream: true }), end: () => d.decode() };
}

/**
 * The streaming form of prepareXml: bytes in (`push`), cleaned, DTD-checked text out, in chunks.
 * Counts bytes against the cap as they arrive.
 */
export class InputCleaner {
  private head: Uint8Array[] | undefined = [];
  private headBytes = 0;
  private decoder: ChunkDecoder | undefined;
  private carry = '';
  private bytes = 0;
  private started = false;
  private sawContent = false;
  /** See InputLimits.invalidChars; a text chunk turns it on for good. */
  private replaceInvalid: boolean;
  private readonly markup: MarkupFilter;

  constructor(private readonly limits: InputLimits) {
    this.markup = new MarkupFilter(limits.source);
    this.replaceInvalid = limits.invalidChars !== 'refuse';
  }

  /** Cleaned text of the bytes so far, possibly '' (text is held back until the encoding is known). */
  push(chunk: Uint8Array | string): string {
    const { source, maxBytes } = this.limits;
    this.bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    if (this.bytes > maxBytes) throw tooLarge(source, this.bytes, maxBytes);
    if (typeof chunk === 'string') {
      this.replaceInvalid = true;
      return this.text(chunk, false);
    }
    if (this.head) {
      this.head.push(chunk);
      this.headBytes += chunk.byteLength;
      if (this.headBytes < HEAD_BYTES) return '';
      return this.text(this.flushHead(), false);
    }
    return this.text(this.decoder!.write(chunk), false);
  }

  /** The rest of the text; throws `empty` when the whole input was blank. */
  end(): string {
    let rest = this.head ? this.flushHead() : '';
    rest += this.decoder?.end() ?? '';
    const out = this.text(rest, true);
    if (!this.sawContent) throw empty(this.limits.source);
    return out;
  }

  private flushHead(): string {
    const head = Buffer.concat(this.head!);
    this.head = undefined;
    this.decoder = chunkDecoder(detectEncoding(head));
    return this.decoder.write(head);
  }

  private text(decoded: string, final: boolean): string {
    let s = this.carry + decoded;
    if (!this.started && s.length > 0) {
      this.started = true;
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    }
    let cut = s.length;
    if (!final) {
      // Hold back only what may continue in the next chunk: an ANSI sequence starting near the end,
      // a high surrogate. Usually nothing, so the text is not copied.
      const from = Math.max(0, s.length - FALLBACK_CARRY);
      const esc = firstOf(s, from, '\x1B', '\x9B', '#x1B');
      if (esc !== -1) cut = esc;
      else {
        // pytest's `#x1B[` may be cut inside its first four characters.
        const hash = s.indexOf('#', s.length - 3);
        if (hash !== -1 && '#x1B'.startsWith(s.slice(hash))) cut = hash;
      }
      const c = s.charCodeAt(cut - 1);
      if (cut > 0 && c >= 0xd800 && c <= 0xdbff) cut--;
    }
    this.carry = cut === s.length ? '' : s.slice(cut);
    const out = cleanChunk(cut === s.length ? s : s.slice(0, cut), this.replaceInvalid);
    if (!this.sawContent && /\S/.test(out)) this.sawContent = true;
    return this.markup.filter(out, final);
  }
}

/** Length of the longest token the filter classifies: `<![CDATA[`. */
const LONGEST_TOKEN = 9;
/** Longest reference the filter recognizes (`&#x10FFFF;` is 10; names are short in practice). */
const LONGEST_REFERENCE = 34;

/**
 * A `&` that starts no reference. Producers write them in attribute values (old Surefire, hand-made
 * reports); the SAX parser would read on to the next `;` and swallow the markup in between. So each
 * becomes BARE_AMP_MARK, which the tree builder turns back into `&` (cheaper than `&amp;`, which costs
 * saxes an entity each, and it keeps columns right).
 */
const REFERENCE = /(?:[A-Za-z_:][\w.:-]{0,30}|#[0-9]{1,8}|#x[0-9a-fA-F]{1,8});/y;
const COMMON_REFERENCES = ['lt;', 'gt;', 'amp;', 'quot;'];
const isReference = (s: string, amp: number): boolean => {
  // `&lt;` `&gt;` `&amp;` `&quot;` first: nearly every `&` in a report, without a regex run each.
  for (const name of COMMON_REFERENCES) if (s.startsWith(name, amp + 1)) return true;
  REFERENCE.lastIndex = amp + 1;
  return REFERENCE.test(s);
};
function fixAmps(s: string): string {
  let amp = s.indexOf('&');
  if (amp === -1) return s;
  const parts: string[] = [];
  let last = 0;
  for (; amp !== -1; amp = s.indexOf('&', amp + 1)) {
    if (isReference(s, amp)) continue;
    // A run of bare `&`s (pathological input) is one part, not one per character.
    let end = amp + 1;
    while (s.charCodeAt(end) === 38 /* & */ && !isReference(s, end)) end++;
    parts.push(s.slice(last, amp), BARE_AMP_MARK.repeat(end - amp));
    last = end;
    amp = end - 1;
  }
  if (last === 0) return s;
  parts.push(s.slice(last));
  return parts.join('');
}

/**
 * Stands for a bare `&` between the filter and the tree builder: U+FDD0 is a noncharacter, reserved
 * for exactly such internal use, and not a name character, so `<a&b>` stays malformed. One in the
 * input is replaced by U+FFFD (cleanChunk), so it can never be mistaken for a `&`.
 */
export const BARE_AMP_MARK = '\uFDD0';
const restoreMark = (s: string): string =>
  s.indexOf(BARE_AMP_MARK) === -1 ? s : s.replaceAll(BARE_AMP_MARK, REPLACEMENT_CHAR);

/**
 * `]]>` outside CDATA: XML forbids it in text, producers write it (captured output that contains XML)
 * and tree parsers accept it. Outside CDATA and comments it can only be text or part of an attribute
 * value, so it is written as `]]&gt;`, which reads back as `]]>`.
 */
const fixCdataEnds = (s: string): string => (s.indexOf(']]>') === -1 ? s : s.replaceAll(']]>', ']]&gt;'));

/**
 * XML forbids `--` inside a comment and a comment ending in `--->`; producers write them (Playwright
 * fixtures document `--repeat-each` in comments) and tree parsers accept them. Comments carry nothing
 * the reader uses, so the dashes are softened (same length, so positions stay right) instead of refused.
 */
function softenDashes(body: string, closing: boolean): string {
  let t = body.indexOf('--') === -1 ? body : body.replace(/--/g, '- ');
  if (closing && t.endsWith('-')) t = `${t.slice(0, -1)} `;
  return t;
}

/**
 * Rejects any markup declaration (`<!DOCTYPE`, `<!ENTITY`, `<!ELEMENT`, conditional sections…)
 * outside comments and CDATA. Nothing in JUnit needs a DTD, and refusing them outright closes XXE,
 * out-of-band/parameter-entity exfiltration and entity-expansion bombs without relying on parser
 * settings. CDATA and comments are skipped because captured output often contains HTML pages.
 * Outside them, bare `&`s are escaped (fixAmps). Works on consecutive chunks (a token may be split
 * between two: its start is held back) and keeps line/column for errors.
 */
class MarkupFilter {
  private mode: 'markup' | 'comment' | 'cdata' | 'done' = 'markup';
  /** Unscanned end of the previous chunk (a token start that may continue in the next). */
  private pending = '';
  /**
   * Lines before `pending`, and the offset in `pending`'s text where its line starts (may be < 0).
   * Counted here (with `\n`, as positionOf counts), not taken from the parser: saxes also counts a
   * lone CR as a line, so the two would disagree on where a refused declaration is.
   */
  private line = 1;
  private lineStart = 0;

  constructor(private readonly source: string) {}

  /** The text ready for the parser: everything of `pending + chunk` that could be classified. */
  filter(chunk: string, final: boolean): string {
    const s = this.pending + chunk;
    if (this.mode === 'done') return s;
    // Pieces joined once at the end: `+=` would hand saxes a rope of slices (a V8 cons string), and
    // its per-character reads over a flattened rope are measurably slower than over one flat string.
    // When no piece changed (nearly every chunk) the text is handed on as it came, without the copy.
    const out: string[] = [];
    let changed = false;
    const put = (piece: string, fixed: string): void => {
      if (fixed !== piece) changed = true;
      out.push(fixed);
    };
    let i = 0;
    let keep = s.length;
    while (i < s.length) {
      if (this.mode !== 'markup') {
        const close = this.mode === 'comment' ? '-->' : ']]>';
        const end = s.indexOf(close, i);
        const comment = this.mode === 'comment';
        if (end === -1) {
          // Hold back only what may start the closing token (`]]`, `]`; trailing dashes, which also
          // keeps a `--` split between chunks whole): a held-back tail costs the next chunk a copy.
          keep = s.length;
          if (!final && comment)
            while (keep > i && s.charCodeAt(keep - 1) === 45 && s.length - keep < 1024) keep--;
          else if (!final) while (keep > i && s.charCodeAt(keep - 1) === 93 && s.length - keep < 2) keep--;
          const rest = s.slice(i, keep);
          put(rest, comment ? softenDashes(rest, false) : rest);
          break;
        }
        const body = s.slice(i, end);
        put(body, comment ? softenDashes(body, true) : body);
        out.push(close);
        i = end + close.length;
        this.mode = 'markup';
        continue;
      }
      const j = s.indexOf('<!', i);
      let upto = j === -1 ? s.length : j;
      if (!final && j === -1) {
        // Hold back a possible token start (`<`) or reference (`&…`) at the very end.
        // (A reference already ended by its `;` is classified; only an open one waits.)
        const amp = s.lastIndexOf('&');
        if (amp >= i && s.length - amp < LONGEST_REFERENCE && s.indexOf(';', amp) === -1) upto = amp;
        // …or a `]]` that a `>` in the next chunk would make a `]]>`.
        if (upto === s.length) upto -= s.endsWith(']]') ? 2 : s.endsWith('<') || s.endsWith(']') ? 1 : 0;
        if (upto < i) upto = i;
      }
      // A token start too short to classify yet waits for the next chunk.
      const wait = !final && j !== -1 && s.length - j < LONGEST_TOKEN;
      const text = s.slice(i, upto);
      put(text, fixCdataEnds(fixAmps(text)));
      if (upto !== j || wait) {
        keep = upto;
        break;
      }
      if (s.startsWith('<!--', j)) {
        this.mode = 'comment';
        out.push('<!--');
        i = j + 4;
      } else if (s.startsWith('<![CDATA[', j)) {
        this.mode = 'cdata';
        out.push('<![CDATA[');
        i = j + 9;
      } else this.refuse(s, j);
    }
    // Unterminated comment or CDATA: the parser reports it as malformed.
    if (final) this.mode = 'done';
    this.advance(s, keep);
    this.pending = s.slice(keep);
    if (!changed) return keep === s.length ? s : s.slice(0, keep);
    return out.length === 1 ? out[0]! : out.join('');
  }

  /** Moves the line count past `s.slice(0, upto)`. */
  private advance(s: string, upto: number): void {
    for (let nl = s.indexOf('\n'); nl !== -1 && nl < upto; nl = s.indexOf('\n', nl + 1)) {
      this.line++;
      this.lineStart = nl + 1;
    }
    this.lineStart -= upto;
  }

  private refuse(s: string, at: number): never {
    const { line, column } = positionOf(s, at);
    const where =
      line === 1
        ? { line: this.line, column: at - this.lineStart + 1 }
        : { line: this.line + line - 1, column };
    const { source } = this;
    if (!/^<!(?:\[|[A-Za-z])/.test(s.slice(at, at + 3))) {
      // Neither comment, CDATA nor declaration: not XML.
      throw new JUnitParseError(
        'malformed',
        `${source}: stray "<!" at line ${where.line}`,
        source,
        where.line,
        where.column,
      );
    }
    const what = /^<!\[?[A-Za-z]*/.exec(s.slice(at, at + 20))?.[0] ?? '<!';
    throw new JUnitParseError(
      'forbidden-dtd',
      `${source}: ${what} at line ${where.line}: DTDs and entity declarations are not allowed (never resolved)`,
      source,
      where.line,
      where.column,
    );
  }
}
