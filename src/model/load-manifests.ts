/**
 * Loads manifests from files and folders (recursively, *.yaml / *.yml / *.json, multi-document, the items of a List
 * expanded as kubectl expands them) into one model.
 * Whatever is wrong with a file, a document or an object is a LoadProblem naming the file, and everything else is
 * still loaded; the only exception is ManifestPathError, for a path given explicitly that does not exist.
 * docs/bad-input.md lists every kind of bad input and what happens to it; the limits below are documented there.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { isAlias, isCollection, isScalar, isSeq, LineCounter, parseAllDocuments, visit, type Document } from 'yaml';
import { emptyModel, hasObject, objectKey, putObject, type Model, type ModelObject } from './model.ts';
import { classifyDocument, toModelObject } from './to-model-object.ts';

export interface LoadProblem {
  file: string;
  /** `Kind/name` or `Kind/namespace/name`; `(file)` or `(document N)` when the file or document itself is unreadable. */
  object: string;
  message: string;
}

export interface LoadedManifests {
  model: Model;
  /** Object key → the file it came from. */
  sources: Map<string, string>;
  /** Object key → the manifest as written (what an admission request carries). */
  manifests: Map<string, Record<string, unknown>>;
  problems: LoadProblem[];
}

/** A manifest path given explicitly does not exist (or cannot be inspected): the only error loadManifests throws. */
export class ManifestPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestPathError';
  }
}

/** A file larger than this is not read (a Kubernetes request body is at most 3 MiB; a folder file holds many). */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;
/**
 * A document whose value, with every alias expanded, has more nodes than this is refused: aliases are cheap to
 * write and exponential to expand ("billion laughs"), and validation walks the expanded value. The yaml package's
 * own alias limit (count × depth of the aliased node ≤ 100) is off: it refuses a harmless anchor reused 150 times.
 */
export const MAX_EXPANDED_NODES = 1_000_000;

export interface ManifestFiles {
  files: string[];
  problems: LoadProblem[];
}

/**
 * The files of a folder that are read: kubectl's rule (cli-runtime's resource.FileExtensions `.json`, `.yaml`, `.yml`,
 * compared with Go's filepath.Ext exactly, so case-sensitively: kubectl skips `x.YAML` in a folder, and so does
 * Charter). A file named explicitly is read whatever its name, as kubectl does.
 */
export const MANIFEST_FILE_NAME = /\.(ya?ml|json)$/;

/**
 * Every *.yaml / *.yml / *.json file under the paths, sorted, so that results do not depend on directory order.
 * Symbolic links are followed (to files and to folders); a link that leads back into a folder being read (a loop)
 * or that cannot be followed is a problem; a file or folder reached twice is read once. Special files (FIFOs,
 * sockets, devices) are never opened — a read of a FIFO blocks forever — and are a problem when named *.yaml (or .yml,
 * .json) or given explicitly.
 */
export function manifestFiles(paths: readonly string[]): ManifestFiles {
  const files: string[] = [];
  const problems: LoadProblem[] = [];
  const seen = new Set<string>();
  const problem = (file: string, message: string): void => void problems.push({ file, object: '(file)', message });
  const visit = (path: string, explicit: boolean, ancestors: readonly string[]): void => {
    const wanted = explicit || MANIFEST_FILE_NAME.test(path);
    let stat: Stats;
    try {
      stat = lstatSync(path);
      if (stat.isSymbolicLink()) stat = statSync(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (explicit) throw new ManifestPathError(`${path}: ${code === 'ENOENT' ? 'no such file or directory' : (error as Error).message}`);
      if (wanted || code === 'ELOOP') problem(path, `cannot be followed: ${code === 'ENOENT' ? 'a symbolic link to nothing' : code === 'ELOOP' ? 'a loop of symbolic links' : (error as Error).message}`);
      return;
    }
    if (stat.isDirectory()) {
      let real: string;
      let entries: string[];
      try {
        real = realpathSync(path);
        if (ancestors.includes(real)) return problem(path, `a symbolic link loop: leads back to ${real}, which is being read; skipped`);
        if (seen.has(real)) return;
        seen.add(real);
        entries = readdirSync(path).sort();
      } catch (error) {
        return problem(path, `cannot be read: ${(error as Error).message}`);
      }
      for (const entry of entries) visit(join(path, entry), false, [...ancestors, real]);
      return;
    }
    if (!wanted) return;
    if (!stat.isFile()) return problem(path, `not a regular file (${fileType(stat)}): skipped`);
    let real: string;
    try {
      real = realpathSync(path);
    } catch (error) {
      return problem(path, `cannot be read: ${(error as Error).message}`);
    }
    if (seen.has(real)) return;
    seen.add(real);
    files.push(path);
  };
  for (const path of paths) visit(path, true, []);
  return { files, problems };
}

function fileType(stat: Stats): string {
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  return 'not a file';
}

/** Adds a converted object to the model; the first definition of a name wins, a duplicate is a problem. */
export function addToModel(model: Model, object: ModelObject): string | undefined {
  if (hasObject(model, object)) return 'duplicate';
  putObject(model, object);
  return undefined;
}

/**
 * A file's text, or why it cannot be read: manifests, access test files and catalogs are all read here. Opened
 * without blocking (O_NONBLOCK: a FIFO swapped in after the
 * directory listing must not hang the read) and checked again for being a regular file on the open descriptor.
 * Decoded as UTF-8, strictly: UTF-16/32 (byte-order marks, NUL bytes), invalid UTF-8 and a byte-order mark
 * anywhere but at the start are problems, not silently different text.
 */
export function readManifestText(file: string): { text: string } | { problem: string } {
  let bytes: Buffer;
  let fd: number | undefined;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { problem: `not a regular file (${fileType(stat)}): skipped` };
    if (stat.size > MAX_FILE_BYTES) return { problem: `too large: ${stat.size} bytes; at most ${MAX_FILE_BYTES} are read` };
    bytes = readFileSync(fd);
  } catch (error) {
    return { problem: `cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return decodeManifest(bytes);
}

/** Strict UTF-8 (a leading byte-order mark is allowed and dropped). */
export function decodeManifest(bytes: Uint8Array): { text: string } | { problem: string } {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff) || (bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 0xfe && bytes[3] === 0xff)) {
    return { problem: 'not UTF-8: it starts with a UTF-16 or UTF-32 byte-order mark; save it as UTF-8' };
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) return { problem: `not UTF-8 text: a NUL byte at line ${lineAt(bytes, nul)} (UTF-16 without a byte-order mark, or a binary file)` };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const lossy = new TextDecoder('utf-8').decode(bytes);
    return { problem: `not valid UTF-8: an invalid byte sequence at line ${lineOf(lossy, lossy.indexOf('\uFFFD'))}` };
  }
  const bom = text.indexOf('\uFEFF');
  if (bom >= 0) return { problem: `a byte-order mark (U+FEFF) in the middle of the file, at line ${lineOf(text, bom)} (files concatenated with their marks?)` };
  return { text };
}

function lineAt(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 0x0a) line++;
  return line;
}

/**
 * The plain value of each document of a YAML text, or why it has none. Duplicate map keys and keys that are not
 * scalars are found in one pass (the yaml package's own check compares each key with every earlier one: a User with
 * 40,000 labels took 45 s).
 */
export function parseManifestDocuments(text: string): Array<{ value: unknown } | { problem: string }> {
  let documents: Document.Parsed[];
  const lines = new LineCounter();
  try {
    documents = parseAllDocuments(text, { uniqueKeys: false, prettyErrors: true, lineCounter: lines }) as Document.Parsed[];
  } catch (error) {
    return [{ problem: `not valid YAML: ${firstLine(error)}` }];
  }
  return documents.map((doc) => {
    if (doc.errors.length > 0) return { problem: `not valid YAML: ${firstLine(doc.errors[0])}` };
    const badKey = firstKeyProblem(doc, lines);
    if (badKey) return { problem: `not valid YAML: ${badKey}` };
    try {
      const value = doc.toJS({ maxAliasCount: -1 }) as unknown;
      const nodes = expandedSize(value, MAX_EXPANDED_NODES);
      if (nodes > MAX_EXPANDED_NODES) return { problem: `too large once its aliases are expanded: more than ${MAX_EXPANDED_NODES} values (aliases used to multiply data)` };
      return { value };
    } catch (error) {
      return { problem: `not valid YAML: ${firstLine(error)}` };
    }
  });
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}

/**
 * The first map key that is repeated, or that is a mapping or a sequence (a YAML complex key, `? a: b`): JSON and
 * Kubernetes objects have string keys only, and turning such a key into a string would give a field name of several
 * lines that no schema has. A merge key (a plain `<<`) is refused too: YAML 1.2 reads it as a field named `<<`
 * while kubectl merges it, so the same file would be two different objects.
 */
function firstKeyProblem(doc: Document.Parsed, lines: LineCounter): string | undefined {
  let found: string | undefined;
  visit(doc, {
    Map(_, map) {
      const keys = new Set<unknown>();
      for (const pair of map.items) {
        const where = lineOfNode(pair.key, lines);
        const target = isAlias(pair.key) ? pair.key.resolve(doc) : pair.key;
        if (isCollection(target)) {
          found = `map keys must be strings: a key${where} is a ${isSeq(target) ? 'sequence' : 'mapping'} (a YAML complex key)`;
          return visit.BREAK;
        }
        const key = isScalar(target) ? target.value : target;
        if (key === '<<' && isScalar(target) && target.type === 'PLAIN') {
          found = `merge keys are not supported: a <<: key${where} (kubectl's YAML would merge it, Charter would read a field named "<<"); write the merged fields out`;
          return visit.BREAK;
        }
        if (keys.has(key)) {
          found = `map keys must be unique: ${JSON.stringify(String(key))} appears twice${where}`;
          return visit.BREAK;
        }
        keys.add(key);
      }
      return undefined;
    },
  });
  return found;
}

/** ` (line N)` of a node, or nothing when it has no place in the text. */
function lineOfNode(node: unknown, lines: LineCounter): string {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? ` (line ${lines.linePos(range[0]).line})` : '';
}

/** The number of values of `value` with shared (aliased) parts counted each time they occur, stopping past `limit`. */
function expandedSize(value: unknown, limit: number): number {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && count <= limit) {
    const node = stack.pop();
    count++;
    if (Array.isArray(node)) for (const item of node) stack.push(item);
    else if (node instanceof Map) for (const [k, v] of node) stack.push(k, v);
    else if (node !== null && typeof node === 'object') for (const key of Object.keys(node)) stack.push((node as Record<string, unknown>)[key]);
  }
  return count;
}

/**
 * The items of a list document, as kubectl reads one: a document whose kind ends in `List` (`v1 List`,
 * `CollaborationList`, any group) and whose `items` is a sequence is decoded as a list, and kubectl apply creates
 * each item. Undefined for any other document.
 */
export function listItems(value: unknown): unknown[] | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const { kind, items } = value as Record<string, unknown>;
  return typeof kind === 'string' && kind.endsWith('List') && Array.isArray(items) ? items : undefined;
}

/** The objects a document stands for: its List's items, or the document itself. */
export function documentObjects(value: unknown): unknown[] {
  return listItems(value) ?? [value];
}

/**
 * Loads every charter.dev object of the paths. Throws only ManifestPathError (a path that does not exist).
 * `onFile(done, total)` is called before each file (the CLI's progress on large trees).
 */
export function loadManifests(paths: readonly string[], onFile?: (done: number, total: number) => void): LoadedManifests {
  const model = emptyModel();
  const sources = new Map<string, string>();
  const manifests = new Map<string, Record<string, unknown>>();
  const { files, problems } = manifestFiles(paths);
  /** Adds one object (`where`: its place in a List, which its problems name); other groups' objects are ignored. */
  const add = (file: string, raw: unknown, where: string | undefined): void => {
    const named = (object: string): string => (where ? `${where} ${object}` : object);
    const classified = classifyDocument(raw);
    if (classified.type === 'ignored') return;
    if (classified.type === 'unknown-kind') {
      problems.push({ file, object: named(`${classified.kind}/${classified.name}`), message: classified.message });
      return;
    }
    const result = toModelObject(raw as Record<string, unknown>);
    if (!result.ok) {
      const object = named(objectKey(result));
      for (const message of result.problems) problems.push({ file, object, message });
      return;
    }
    const key = objectKey(result.object);
    if (addToModel(model, result.object) === 'duplicate') {
      problems.push({ file, object: named(key), message: `defined twice: the definition in ${sources.get(key)} is used` });
      return;
    }
    sources.set(key, file);
    manifests.set(key, raw as Record<string, unknown>);
  };
  for (const [done, file] of files.entries()) {
    onFile?.(done, files.length);
    const read = readManifestText(file);
    if ('problem' in read) {
      problems.push({ file, object: '(file)', message: read.problem });
      continue;
    }
    parseManifestDocuments(read.text).forEach((doc, index) => {
      if ('problem' in doc) {
        problems.push({ file, object: `(document ${index + 1})`, message: doc.problem });
        return;
      }
      const items = listItems(doc.value);
      if (!items) return add(file, doc.value, undefined);
      items.forEach((item, i) => {
        const where = `(document ${index + 1}) items[${i}]`;
        if (listItems(item)) problems.push({ file, object: where, message: 'a List inside a List: not read; put its items in the outer List' });
        else add(file, item, where);
      });
    });
  }
  return { model, sources, manifests, problems };
}
