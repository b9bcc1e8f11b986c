/**
 * Shard texts of kept rows written as bytes (shard.ts's `renderShard`, when every row of a shard is rendered now and
 * none is taken from a text kept before: a namespace's first write, the operator's start): each `KeptRow`'s JSON is
 * written straight into one scratch buffer, reused from text to text — its users from their numbers (no array of
 * names decoded per row, no string per row made and joined), its entities from their flat string (`FlatEntities`,
 * read in place) — then read back as one string (`latin1`), and the shard's SHA-256 taken from those bytes
 * (`shardSha256`). Written only where the text is the one `rowText` gives, byte for byte: every string written (users,
 * kinds, entity names, default kinds, the shard's head) needs no JSON escape and is ASCII, so that a character is a
 * byte; otherwise `undefined`, and the caller renders as before.
 *
 * Why: at large the first write renders 11.6 M (namespace, user) pairs, and rendering them as strings (a decoded
 * array of names, `JSON.stringify`, a string per row, a join) was most of the start's rendering and much of its
 * garbage (docs/performance.md, "The kept maps' first write as bytes").
 */
import { createHash } from 'node:crypto';
import { KeptRow } from './kept-users.ts';
import type { MapRow } from './build-maps.ts';

/** Whether shard texts are written as bytes where they can be (off: for the tests, which compare the two). */
let enabled = true;

/** The scratch's first size: a text past it grows the scratch (`room`). */
const FIRST_SIZE = 1 << 16;

/**
 * For the tests: writes shard texts as bytes (the default) or never (every row rendered by `rowText`); either way the
 * scratch goes back to its first size, so that a test's long text grows it whatever ran before.
 */
export function setShardBytes(on: boolean): void {
  enabled = on;
  buf = Buffer.allocUnsafe(FIRST_SIZE);
  n = 0;
  lastText = undefined;
  lastBytes = 0;
}

/** The scratch (grown as needed, never shrunk but by `setShardBytes`) and how much of it the text being written holds. */
let buf: Buffer = Buffer.allocUnsafe(FIRST_SIZE);
let n = 0;
/** The text last read from the scratch, and its bytes there (until the next text is written). */
let lastText: string | undefined;
let lastBytes = 0;

/** The scratch with room for `more` bytes after `n`. */
function room(more: number): Buffer {
  if (n + more > buf.length) {
    const grown = Buffer.allocUnsafe(Math.max(2 * buf.length, n + more));
    buf.copy(grown, 0, 0, n);
    buf = grown;
  }
  return buf;
}

/** Writes ASCII text known to need nothing (punctuation and keys of the format). */
function literal(text: string): void {
  const b = room(text.length);
  let o = n;
  for (let i = 0; i < text.length; i++) b[o++] = text.charCodeAt(i);
  n = o;
}

/** Writes `s[from, to)` as a JSON string (quoted); false when a character needs an escape or is not ASCII. */
function jsonRange(s: string, from: number, to: number): boolean {
  const b = room(to - from + 2);
  let o = n;
  b[o++] = 0x22;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7f || c === 0x22 || c === 0x5c) return false;
    b[o++] = c;
  }
  b[o++] = 0x22;
  n = o;
  return true;
}

/** Writes a non-negative integer in decimal. */
function decimal(v: number): void {
  const b = room(10);
  if (v < 10) {
    b[n++] = 0x30 + v;
    return;
  }
  let digits = 1;
  for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
  for (let i = n + digits - 1; i >= n; i--) {
    b[i] = 0x30 + (v % 10);
    v = Math.floor(v / 10);
  }
  n += digits;
}

/** Writes a mask's reference; false when the mask is not in the table (not written: the caller renders as before). */
function ref(v: number): boolean {
  if (v < 0) return false;
  decimal(v);
  return true;
}

/** Mask → its place in the shard's table; the last mask looked up kept, compared in place (a row's masks repeat). */
class Refs {
  private last: string | undefined;
  private lastRef = -1;
  private readonly position: ReadonlyMap<string, number>;
  constructor(position: ReadonlyMap<string, number>) {
    this.position = position;
  }

  /** -1: not in the table. */
  of(mask: string): number {
    if (mask === this.last) return this.lastRef;
    this.last = mask;
    return (this.lastRef = this.position.get(mask) ?? -1);
  }

  /** The reference of the mask `flat[at, at + len)`, made a string only when it is not the last one. */
  inFlat(flat: string, at: number, len: number): number {
    const last = this.last;
    if (last !== undefined && len === last.length) {
      let same = true;
      for (let i = 0; i < len; i++) {
        if (flat.charCodeAt(at + i) !== last.charCodeAt(i)) {
          same = false;
          break;
        }
      }
      if (same) return this.lastRef;
    }
    return this.of(flat.slice(at, at + len));
  }
}

/** Writes a kept row's JSON (`rowText`'s); false when a string in it needs an escape or is not ASCII. */
function keptRow(row: KeptRow, refs: Refs): boolean {
  const table = row.table;
  const packed = row.packed;
  literal('{"users":[');
  // Users written with the scratch and its length in locals (a module variable is read and written at each byte).
  const count = typeof packed === 'string' ? packed.length >>> 1 : packed.length;
  const pool = table.namePool();
  const poolBytes = pool.bytes;
  const poolAt = pool.at;
  let b = buf;
  let o = n;
  for (let i = 0; i < count; i++) {
    const id = typeof packed === 'string' ? (packed.charCodeAt(2 * i) << 16) | packed.charCodeAt(2 * i + 1) : packed[i]!;
    const from = poolAt[id]!;
    if (from < 0) return false;
    const len = table.jsonBytesOf(id) - 2;
    if (o + len + 3 > b.length) {
      n = o;
      b = room(len + 3);
    }
    if (i > 0) b[o++] = 0x2c;
    b[o++] = 0x22;
    for (let j = from; j < from + len; j++) b[o++] = poolBytes[j]!;
    b[o++] = 0x22;
  }
  n = o;
  literal(']');
  if (row.organization !== undefined) {
    literal(',"organization":');
    if (!ref(refs.of(row.organization))) return false;
  }
  const defaults = row.defaults;
  if (defaults) {
    literal(',"defaults":{');
    let first = true;
    for (const kind of Object.keys(defaults)) {
      if (!first) literal(',');
      first = false;
      if (!jsonRange(kind, 0, kind.length)) return false;
      literal(':');
      if (!ref(refs.of(defaults[kind]!))) return false;
    }
    literal('}');
  }
  const flat = row.flat;
  if (flat !== undefined && !entities(flat, refs)) return false;
  literal('}');
  return true;
}

/**
 * Writes `,"entities":{…}` from flat entities (kept-users.ts's `writeFlat` layout, read as `readFlat` does: kind,
 * count, then (name, mask) pairs; lengths one code unit, or `0xffff` and two more).
 */
function entities(flat: string, refs: Refs): boolean {
  literal(',"entities":{');
  let at = 0;
  const length = (): number => {
    const c = flat.charCodeAt(at++);
    if (c !== 0xffff) return c;
    const v = flat.charCodeAt(at) * 0x10000 + flat.charCodeAt(at + 1);
    at += 2;
    return v;
  };
  let firstKind = true;
  while (at < flat.length) {
    if (!firstKind) literal(',');
    firstKind = false;
    const kindLength = length();
    if (!jsonRange(flat, at, at + kindLength)) return false;
    at += kindLength;
    literal(':{');
    const count = length();
    for (let j = 0; j < count; j++) {
      if (j > 0) literal(',');
      const nameLength = length();
      if (!jsonRange(flat, at, at + nameLength)) return false;
      at += nameLength;
      literal(':');
      const maskLength = length();
      if (!ref(refs.inFlat(flat, at, maskLength))) return false;
      at += maskLength;
    }
    literal('}');
  }
  literal('}');
  return true;
}

/**
 * A shard's text from `prefix` (its head up to the rows' `[`) and its rows, every one a `KeptRow`, each rendered now
 * against the table `position` (mask → reference), with each row's length in the text (`lengths`, characters: bytes,
 * the text being ASCII); undefined when a row is not a kept row or a string needs an escape or is not ASCII (nothing
 * of the text is then used). The text's bytes stay in the scratch for `shardSha256` until the next text is written.
 */
export function keptShardText(prefix: string, rows: readonly MapRow[], position: ReadonlyMap<string, number>): { text: string; lengths: number[] } | undefined {
  if (!enabled) return undefined;
  for (const row of rows) if (!(row instanceof KeptRow)) return undefined;
  lastText = undefined;
  n = 0;
  // The prefix is JSON already (its strings escaped): written as is when it is ASCII.
  for (let i = 0; i < prefix.length; i++) if (prefix.charCodeAt(i) > 0x7f) return undefined;
  literal(prefix);
  const refs = new Refs(position);
  const lengths = new Array<number>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    if (i > 0) literal(',');
    const start = n;
    if (!keptRow(rows[i] as KeptRow, refs)) return undefined;
    lengths[i] = n - start;
  }
  literal(']}');
  const text = buf.toString('latin1', 0, n);
  lastText = text;
  lastBytes = n;
  return { text, lengths };
}

/** `sha256(text)`: from the scratch's bytes when `text` is the last one `keptShardText` made (no UTF-8 copy of it). */
export function shardSha256(text: string): string {
  if (lastText !== undefined && text === lastText) return createHash('sha256').update(buf.subarray(0, lastBytes)).digest('hex');
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
