/**
 * Cuts `"managedFields": [...]` out of JSON text from the API server before it is parsed: admission reviews, and
 * the informers' lists and watch events (so the caches never hold them either). The API server sends every object
 * with its `metadata.managedFields`, which Charter never reads; server-side apply tracks each item of a `set` list as
 * a key of its own (`"v:\"alice\"": {}`), and V8 builds objects with thousands of distinct keys slowly: a review of
 * a 5,000-name UserGroup (370 KB) took 35–87 ms to parse with them and under 1 ms without.
 *
 * Only an array value that is itself valid JSON is replaced (by `[]`): a text that is not JSON stays not JSON (the
 * review is then refused as before), and nothing Charter reads is an array named managedFields (labels and
 * annotations are strings). The JSON grammar below is checked, not built: no object is created for what is cut.
 */

const KEY = '"managedFields"';
const WHITESPACE = /[ \t\n\r]*/y;
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const LITERAL = /true|false|null/y;
/** Deeper values are left to JSON.parse (no recursion without bound). */
const MAX_DEPTH = 256;

function skip(pattern: RegExp, text: string, at: number): number {
  pattern.lastIndex = at;
  return pattern.test(text) ? pattern.lastIndex : -1;
}

const ws = (text: string, at: number): number => skip(WHITESPACE, text, at);

/** The index just after the JSON value starting at `at` (no whitespace before it), or -1 if none is there. */
export function endOfValue(text: string, at: number, depth = 0): number {
  if (depth > MAX_DEPTH) return -1;
  const c = text[at];
  if (c === '"') return skip(STRING, text, at);
  if (c === '[' || c === '{') {
    const close = c === '[' ? ']' : '}';
    let i = ws(text, at + 1);
    if (text[i] === close) return i + 1;
    for (;;) {
      if (c === '{') {
        i = skip(STRING, text, i);
        if (i < 0) return -1;
        i = ws(text, i);
        if (text[i] !== ':') return -1;
        i = ws(text, i + 1);
      }
      i = endOfValue(text, i, depth + 1);
      if (i < 0) return -1;
      i = ws(text, i);
      if (text[i] === close) return i + 1;
      if (text[i] !== ',') return -1;
      i = ws(text, i + 1);
    }
  }
  if (c === 't' || c === 'f' || c === 'n') return skip(LITERAL, text, at);
  return skip(NUMBER, text, at);
}

/** The text with every `"managedFields": [ valid JSON ]` member's array replaced by `[]`. */
export function withoutManagedFields(text: string): string {
  let out = '';
  let from = 0;
  for (let at = text.indexOf(KEY); at >= 0; at = text.indexOf(KEY, at + KEY.length)) {
    const colon = ws(text, at + KEY.length);
    if (text[colon] !== ':') continue;
    const start = ws(text, colon + 1);
    if (text[start] !== '[') continue;
    const end = endOfValue(text, start);
    if (end < 0) continue;
    out += `${text.slice(from, start)}[]`;
    from = end;
    at = end - KEY.length;
  }
  return from === 0 ? text : out + text.slice(from);
}
