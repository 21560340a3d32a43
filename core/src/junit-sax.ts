/**
 * One streaming SAX pass (saxes) over cleaned XML text (xml-input.ts) that keeps only what a JUnit
 * reader needs: the root's attributes and its small children, and each child of the root as a light
 * element tree, handed over as soon as it closes (so memory holds one top-level suite at a time, not
 * the document). saxes checks well-formedness as it goes; the reader's rules live in junit-reader.ts.
 */
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { BARE_AMP_MARK } from './xml-input.js';
import { cleanParsedText, decodeReference } from './xml-text.js';

const bareAmps = (s: string): string =>
  s.indexOf(BARE_AMP_MARK) === -1 ? s : s.split(BARE_AMP_MARK).join('&');

/**
 * Whether an attribute value may hold what bareAmps or cleanParsedText change: a bare-`&` mark, ESC,
 * CSI, or the `#` of pytest's `#x1B`. A short value (nearly every attribute) is checked in one loop
 * instead of four string searches; a long one is handed to them.
 */
function needsCleaning(s: string): boolean {
  if (s.length > 64) return true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x23 || c === 0x1b || c === 0x9b || c === 0xfdd0) return true;
  }
  return false;
}

/**
 * A copy of `s` that does not point into the parser's input chunk. saxes hands out slices of its
 * chunk, and V8 keeps the whole chunk alive for any slice of 13 or more characters kept in a result:
 * without the copy every chunk of the file would stay in memory. Concatenating flattens into a new
 * string; the slice of that flat string then holds only it.
 */
export const own = (s: string): string => (s.length < 13 ? s : ` ${s}`.slice(1));

/**
 * An attribute value as saxes gave it (a slice of the input chunk), cleaned: bare-`&` marks back to
 * `&`, ANSI sequences from references stripped (cleanParsedText). Not a copy: the reader copies (own)
 * or interns what it keeps, and reads the rest (times, counts) without copying. Cleaning at read time
 * instead of at every open skips the attributes nobody reads.
 */
export const cleanAttr = (raw: string): string => (needsCleaning(raw) ? cleanParsedText(bareAmps(raw)) : raw);

/**
 * One kept copy of each distinct value (see `own` for why a copy). Bounded: when full it starts over,
 * so a report whose values never repeat costs a table of MAX_INTERNED entries, not one per value.
 */
export class Interner {
  private readonly kept = new Map<string, string>();
  /** Long values by fingerprint (see intern). */
  private readonly long = new Map<number, string>();
  /** The last value asked for: consecutive testcases mostly share their classname. */
  private last = '';
  private lastKept = '';
  constructor(private readonly max = 4096) {}

  /** `owned`: `value` is already a copy (see `own`). */
  intern(value: string, owned = false): string {
    if (value === this.last) return this.lastKept;
    // V8 hashes only the first 16K characters' worth: longer strings would share buckets.
    if (value.length > MAX_INTERNED_LENGTH) return owned ? value : own(value);
    let kept: string | undefined;
    if (value.length > FINGERPRINTED_LENGTH) {
      // A fresh string is hashed over its whole length (a stack trace: thousands of characters) to
      // be looked up: look a long one up by a fingerprint of a few of its characters instead, then
      // compare the candidate (equal texts compare at memory speed). A different text with the same
      // fingerprint takes the slot: fewer texts shared, never two texts made one.
      const key = fingerprint(value);
      kept = this.long.get(key);
      if (kept !== value) {
        kept = owned ? value : own(value);
        if (this.long.size >= this.max) this.long.clear();
        this.long.set(key, kept);
      }
    } else {
      kept = this.kept.get(value);
      if (kept === undefined) {
        kept = owned ? value : own(value);
        if (this.kept.size >= this.max) this.kept.clear();
        this.kept.set(kept, kept);
      }
    }
    this.last = kept;
    this.lastKept = kept;
    return kept;
  }
}
/** Values longer than this are interned by fingerprint. */
const FINGERPRINTED_LENGTH = 256;
/**
 * The length and 32 characters spread over the text (both ends included) mixed into a small integer:
 * no string is built, and an integer key needs no hashing of its own.
 */
function fingerprint(s: string): number {
  const n = s.length;
  let h = n;
  for (let k = 0; k < 32; k++) h = (Math.imul(h, 31) + s.charCodeAt(Math.floor((k * (n - 1)) / 31))) | 0;
  return h & 0x3fffffff;
}
const MAX_INTERNED_LENGTH = 16 * 1024;

/** An element the reader may look at: name, attributes, kept children in document order, own text. */
export interface El {
  name: string;
  /** Entity-decoded, as saxes gave them: read them through cleanAttr. */
  attrs: Record<string, string>;
  kids: El[];
  /** Direct text and CDATA, joined; only collected where the reader reads it. Slices of the input: copy what is kept. */
  text: string;
}

/** The children of an element that has none kept: one shared array, frozen so a push throws. */
const NO_KIDS = Object.freeze([]) as unknown as El[];

/** Elements the reader reads; anything else (and its content) is skipped. */
const KEPT = new Set([
  'testsuites',
  'testsuite',
  'testcase',
  'properties',
  'property',
  'failure',
  'error',
  'skipped',
  'system-out',
  'system-err',
  'flakyFailure',
  'flakyError',
  'rerunFailure',
  'rerunError',
  'stackTrace',
]);
/** Kept elements whose own text is never read (it is the indentation between children). */
const NO_TEXT = new Set(['testsuites', 'testsuite', 'testcase', 'properties']);

/** Deeper nesting is refused: JUnit needs a handful of levels; this bounds the element stack. */
export const MAX_DEPTH = 100;
/** Names that would be dangerous as object keys in tree-building parsers; refused as elements. */
const FORBIDDEN_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

/** A well-formedness error with the parser's position (1-based line and column). */
export class XmlSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(reason);
  }
}

export interface TreeHandler {
  /** The root element opened (attributes known, no children yet). */
  root(root: El): void;
  /** A child of the root closed, with its whole subtree (the handler may add it to `root.kids`). */
  child(el: El, root: El): void;
}

/**
 * Feeds text chunks through saxes. `write` and `close` throw XmlSyntaxError on the first
 * well-formedness error; errors from the handler propagate unchanged.
 */
export class JUnitTreeBuilder {
  private readonly parser = new SaxesParser<{ xmlns: false; position: true }>({
    xmlns: false,
    position: true,
  });
  /** Open elements; `null` for skipped ones (their content is ignored). */
  private readonly stack: (El | null)[] = [];
  private readonly names: string[] = [];
  private rootEl: El | undefined;
  /** The innermost open element whose text is collected, else undefined. */
  private textTarget: El | undefined;
  private readonly onText: (text: string) => void;

  constructor(private readonly handler: TreeHandler) {
    const p = this.parser;
    // Entities: only the five XML ones and numeric references; an unknown named one (`&nbsp;`) stays as
    // written (no DTD can define it: they are refused before parsing). saxes would call it an error.
    // parseEntity is saxes' (private) resolver; if a saxes release renamed it, `&nbsp;` and `&#0;`
    // would be refused as malformed, loudly (junit-reader.test.ts, hostile-input.test.ts), never misread.
    (p as unknown as { parseEntity: (e: string) => string }).parseEntity = (entity) =>
      decodeReference(entity) ?? `&${entity};`;
    p.on('error', (e) => {
      const m = /^(\d+):(\d+): (.*)$/s.exec(e.message);
      throw m
        ? new XmlSyntaxError(m[3]!, Number(m[1]), Number(m[2]))
        : new XmlSyntaxError(e.message, p.line, p.column);
    });
    p.on('opentag', (tag) => this.open(tag));
    p.on('closetag', () => this.closeTag());
    // The text handler is set only while an element whose text is read is open (setTextTarget):
    // without one saxes does not even cut out the indentation between elements.
    this.onText = (t) => {
      this.textTarget!.text += t;
    };
    p.on('cdata', (t) => {
      if (this.textTarget !== undefined) this.textTarget.text += t;
    });
    p.on('doctype', () => {
      // Refused before parsing (xml-input.ts); kept as a second line of defence.
      throw new XmlSyntaxError('a DOCTYPE is not allowed', p.line, p.column);
    });
  }

  write(text: string): void {
    if (text !== '') this.parser.write(text);
  }

  /** Names of the open elements, outermost first (skipped ones included), for error messages. */
  openElements(): string[] {
    return this.names.slice();
  }

  /** Ends the document; returns the root element. */
  end(): El {
    this.parser.close();
    // saxes refuses a document without a root, so there is one here.
    return this.rootEl!;
  }

  private setTextTarget(el: El | undefined): void {
    if ((el === undefined) !== (this.textTarget === undefined)) {
      if (el === undefined) this.parser.off('text');
      else this.parser.on('text', this.onText);
    }
    this.textTarget = el;
  }

  private fail(reason: string): never {
    throw new XmlSyntaxError(reason, this.parser.line, this.parser.column);
  }

  private open(tag: SaxesTagPlain): void {
    const { stack } = this;
    if (stack.length >= MAX_DEPTH) this.fail(`elements nested deeper than ${MAX_DEPTH}`);
    // The length first: a Set lookup hashes the fresh name, and no kept name but `testsuite` has 9 or 11.
    const n = tag.name.length;
    if ((n === 9 || n === 11) && FORBIDDEN_NAMES.has(tag.name))
      this.fail(`element name <${tag.name}> is not allowed`);
    this.names.push(tag.name);
    const parent = stack.length === 0 ? undefined : stack[stack.length - 1];
    // Under a skipped element everything is skipped; the root is always kept (its name is checked later).
    if (parent === null || (parent !== undefined && !KEPT.has(tag.name))) {
      stack.push(null);
      this.setTextTarget(undefined);
      return;
    }
    // The root's children are the handler's to keep (it may push onto them); every other element
    // gets its own array at its first kept child: most testcases have none.
    const el: El = {
      name: tag.name,
      attrs: tag.attributes,
      kids: parent === undefined ? [] : NO_KIDS,
      text: '',
    };
    if (parent === undefined) {
      this.rootEl = el;
      this.handler.root(el);
    } else if (stack.length > 1) {
      if (parent.kids === NO_KIDS) parent.kids = [el];
      else parent.kids.push(el);
    }
    stack.push(el);
    this.setTextTarget(NO_TEXT.has(el.name) ? undefined : el);
  }

  private closeTag(): void {
    const el = this.stack.pop();
    this.names.pop();
    // Not copied here (see own): the reader copies the texts it keeps, once per distinct text (Interner).
    if (el && el.text !== '') el.text = bareAmps(el.text);
    const depth = this.stack.length;
    if (el && depth === 1) {
      this.handler.child(el, this.rootEl!);
    }
    const top = depth === 0 ? undefined : this.stack[depth - 1];
    this.setTextTarget(top && !NO_TEXT.has(top.name) ? top : undefined);
  }
}
