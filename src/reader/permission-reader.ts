/**
 * The workload-side reader of a permission map (format: docs/permission-map.md): parses the index and its shards,
 * checks every integrity field the format has — the index's contentHash recomputed, each shard's SHA-256 and length,
 * the right and kind tables strictly ascending, no duplicate administrator, set or row user, every set position in
 * range, every shard of the index's namespace, shard names and keys as the layout fixes them — and answers
 * `can(user, right, entity)`. Any failure is a PermissionMapError whose `reason` says what kind: `Absent` (no index:
 * the map is gone), `Missing` or `Torn` (an update is incomplete), `Invalid`, `Unsupported`, `Unreadable`.
 *
 * Answers are precomputed when the map is loaded: for each distinct combination of rows a user has, the rights on
 * each entity the rows name (defaults and admin rights folded in) and the rights on any other entity of each kind.
 * A check is then three Map look-ups and a bit test, with no allocation.
 *
 * Standalone on purpose: it imports nothing from the operator (only node:crypto), so a workload carries little.
 */
import { createHash } from 'node:crypto';
import type { PermissionMapIndex, PermissionMapShard } from '../permission-map/permission-map.generated.ts';

export const INDEX_KEY = 'index.json';
/** The index ConfigMap's name unless the operator is configured otherwise. */
export const DEFAULT_MAP_NAME = 'charter-permissions';
const INDEX_FORMAT = 'charter.dev/permission-map-index';
const SHARD_FORMAT = 'charter.dev/permission-map-shard';
const VERSION = 1;
/**
 * The cache of entity keys checked beyond those the rows name (key → kind position): at most this many entries and
 * about this many bytes (UTF-16 characters plus a per-entry overhead), and no key longer than the longest a map
 * can cover (kind, namespace and name are at most 253 characters each). Past a bound keys are parsed each time.
 */
const KIND_CACHE_ENTRIES = 100_000;
const KIND_CACHE_BYTES = 8 * 1024 * 1024;
const KIND_CACHE_KEY_LENGTH = 3 * 253 + 2;
const KIND_CACHE_ENTRY_OVERHEAD = 64;

/**
 * `Absent`: there is no index (the map is gone, or was never published): no rights. `Missing`: the index lists a
 * shard that is not there. `Torn`: a shard is not the one the index lists (the ConfigMaps are from different
 * updates). `Invalid`: a document breaks the format. `Unsupported`: another format or version. `Unreadable`: reading
 * failed (an I/O error).
 */
export type PermissionMapErrorReason = 'Absent' | 'Missing' | 'Torn' | 'Invalid' | 'Unsupported' | 'Unreadable';

/** Why a map could not be loaded (see PermissionMapErrorReason). The only error the reader throws. */
export class PermissionMapError extends Error {
  readonly reason: PermissionMapErrorReason;
  constructor(reason: PermissionMapErrorReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermissionMapError';
    this.reason = reason;
  }
}

/** Returns the data value of `key` (in ConfigMap `configMap`), or undefined when it is absent. */
export type ReadData = (key: string, configMap: string) => string | Uint8Array | undefined;

interface UserRecord {
  /** Full entity key (`Kind/ns/name`, `Organization/o`) → rights, defaults and admin rights included. */
  entities: Map<string, Uint32Array>;
  /** Kind position → rights on every entity of the kind not in `entities`. */
  defaults: Array<Uint32Array | undefined>;
}

/**
 * Loads a map: the index first (key `index.json` of ConfigMap `options.name`, default `charter-permissions`), then
 * every shard it lists. Throws PermissionMapError, and nothing else (an exception of `read` becomes `Unreadable`).
 * @example
 * const map = parsePermissionMap((key) => files.get(key));
 * map.can('alice', 'RIGHT_APPLICATION_INFO', 'Application/acme/app1');
 */
export function parsePermissionMap(read: ReadData, options: { name?: string } = {}): PermissionMap {
  try {
    return load(read, options.name ?? DEFAULT_MAP_NAME);
  } catch (error) {
    if (error instanceof PermissionMapError) throw error;
    // Not a rule of the format (a stack or memory limit on a pathological document): still only the documented error.
    throw new PermissionMapError('Invalid', `Permission map: could not be loaded: ${(error as Error | undefined)?.message ?? String(error)}`, { cause: error });
  }
}

function load(read: ReadData, name: string): PermissionMap {
  const rawIndex = readData(read, INDEX_KEY, name);
  if (rawIndex === undefined) throw new PermissionMapError('Absent', `Permission map: ${INDEX_KEY} (ConfigMap ${name}) is absent: no map, no rights`);
  const index = parseIndex(decode(rawIndex), name);
  const shards: PermissionMapShard[] = [];
  for (const [i, ref] of index.shards.entries()) {
    const raw = readData(read, ref.key, ref.configMap);
    if (raw === undefined) {
      throw new PermissionMapError('Missing', `Permission map of namespace ${index.namespace}: shard ${ref.key} (ConfigMap ${ref.configMap}) is missing; expected it mounted beside ${INDEX_KEY}`);
    }
    const bytes = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
    const hash = createHash('sha256').update(bytes).digest('hex');
    if (hash !== ref.sha256 || bytes.byteLength !== ref.bytes) {
      throw new PermissionMapError('Torn', `Permission map of namespace ${index.namespace}: shard ${ref.key} has SHA-256 ${hash} and ${bytes.byteLength} bytes; the index expects ${ref.sha256} and ${ref.bytes} (an update is in progress)`);
    }
    shards.push(parseShard(decode(bytes), index, `shards[${i}] (${ref.key})`));
  }
  if (index.withheld !== undefined && (index.admins.users.length > 0 || shards.some((shard) => shard.rows.length > 0))) {
    throw invalid(`${INDEX_KEY} withheld: a withheld map lists no administrator and no row; found some`);
  }
  return new PermissionMap(index, shards);
}

/** `read`, with anything it throws turned into PermissionMapError `Unreadable`. */
function readData(read: ReadData, key: string, configMap: string): string | Uint8Array | undefined {
  try {
    return read(key, configMap);
  } catch (error) {
    if (error instanceof PermissionMapError) throw error;
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    throw new PermissionMapError('Unreadable', `Permission map: ${key} (ConfigMap ${configMap}) could not be read: ${code ?? (error as Error | undefined)?.message ?? String(error)}`, { cause: error });
  }
}

/** One namespace's permission map, loaded. Immutable: a reload makes a new one. */
export class PermissionMap {
  readonly namespace: string;
  readonly organization: string | undefined;
  readonly catalog: string;
  readonly contentHash: string;
  /** Milliseconds since the epoch. */
  readonly evaluatedAt: number;
  /** When a grant the map depends on expires (milliseconds), or undefined. */
  readonly nextExpiry: number | undefined;
  /** The rights the map knows, ascending. */
  readonly rightNames: readonly string[];
  /** The namespaced kinds covered. */
  readonly kinds: readonly string[];
  readonly userCount: number;
  /** Set when the operator withholds the namespace's rights (the map answers nothing): why. */
  readonly withheld: { reason: string; message: string } | undefined;
  /** True when the map answers nothing: no user holds anything (the operator's empty or withheld map). */
  readonly isEmpty: boolean;
  private readonly bits = new Map<string, number>();
  private readonly users = new Map<string, UserRecord>();
  /** `Kind/ns/` for each covered kind, by kind position. */
  private readonly prefixes: string[];
  /**
   * Entity key → kind position (-1: not covered), for the entities the rows name and, up to a bound, the others
   * checked: parsing a key costs more than a look-up. The latter are bounded (KIND_CACHE_*): past the bound keys are
   * parsed each time (no allocation).
   */
  private readonly kindCache = new Map<string, number>();
  private cachedEntries = 0;
  private cachedBytes = 0;
  private readonly organizationKey: string | undefined;
  private readonly admins: ReadonlySet<string>;

  constructor(index: PermissionMapIndex, shards: readonly PermissionMapShard[]) {
    this.namespace = index.namespace;
    this.organization = index.organization;
    this.catalog = index.catalog;
    this.contentHash = index.contentHash;
    this.evaluatedAt = Date.parse(index.evaluatedAt);
    this.nextExpiry = index.nextExpiry === undefined ? undefined : Date.parse(index.nextExpiry);
    this.rightNames = index.rights;
    this.kinds = index.kinds;
    this.withheld = index.withheld === undefined ? undefined : { reason: index.withheld.reason, message: index.withheld.message };
    index.rights.forEach((r, i) => this.bits.set(r, i));
    this.prefixes = index.kinds.map((k) => `${k}/${index.namespace}/`);
    this.organizationKey = index.organization === undefined ? undefined : `Organization/${index.organization}`;
    const compiler = new Compiler(index, this.prefixes);
    const rowsOf = new Map<string, Array<[number, number]>>();
    shards.forEach((shard, s) =>
      shard.rows.forEach((row, r) => {
        for (const user of row.users) {
          const list = rowsOf.get(user);
          if (list) list.push([s, r]);
          else rowsOf.set(user, [[s, r]]);
        }
      }),
    );
    const admins = new Set(index.admins.users);
    this.admins = admins;
    const memo = new Map<string, UserRecord>();
    const recordOf = (rows: Array<[number, number]>, admin: boolean): UserRecord => {
      const key = `${rows.map(([s, r]) => `${s}.${r}`).join(',')}${admin ? '+admin' : ''}`;
      let record = memo.get(key);
      if (!record) memo.set(key, (record = compiler.record(shards, rows, admin)));
      return record;
    };
    for (const [user, rows] of rowsOf) this.users.set(user, recordOf(rows, admins.has(user)));
    for (const user of admins) if (!this.users.has(user)) this.users.set(user, recordOf([], true));
    this.userCount = this.users.size;
    this.isEmpty = this.users.size === 0;
    for (const record of memo.values()) for (const key of record.entities.keys()) if (!this.kindCache.has(key)) this.kindCache.set(key, this.parseKind(key));
  }

  /**
   * Whether `user` holds `right` on `entity` (`Kind/namespace/name`, or `Organization/name`). False for an entity the
   * map does not cover (another namespace, User entities): see `covers`. No allocation.
   * @example map.can('bob', 'RIGHT_APPLICATION_DEVICES_READ', 'Application/acme/app2') // true
   */
  can(user: string, right: string, entity: string): boolean {
    const bit = this.bits.get(right);
    if (bit === undefined) return false;
    const record = this.users.get(user);
    if (record === undefined) return false;
    let words = record.entities.get(entity);
    if (words === undefined) {
      const kind = this.kindOf(entity);
      if (kind < 0) return false;
      words = record.defaults[kind];
      if (words === undefined) return false;
    }
    return (words[bit >>> 5]! & (1 << (bit & 31))) !== 0;
  }

  /** Every right `user` holds on `entity`, ascending. */
  rights(user: string, entity: string): string[] {
    const record = this.users.get(user);
    if (record === undefined) return [];
    let words = record.entities.get(entity);
    if (words === undefined) {
      const kind = this.kindOf(entity);
      words = kind < 0 ? undefined : record.defaults[kind];
    }
    if (words === undefined) return [];
    const out: string[] = [];
    for (let i = 0; i < this.rightNames.length; i++) if ((words[i >>> 5]! & (1 << (i & 31))) !== 0) out.push(this.rightNames[i]!);
    return out;
  }

  /**
   * Everything `user` holds in this map: kind → rights on every entity of the kind in the namespace (ownership and
   * admin rights), and the entities the map names (its Organization among them) where the user holds more than that.
   * Rights ascending. A map cannot name entities nobody holds more on than the defaults, nor other namespaces.
   */
  holdings(user: string): { admin: boolean; every: Record<string, string[]>; entities: Record<string, string[]> } {
    const record = this.users.get(user);
    const out = { admin: this.admins.has(user), every: {} as Record<string, string[]>, entities: {} as Record<string, string[]> };
    if (record === undefined) return out;
    const names = (words: Uint32Array): string[] => {
      const list: string[] = [];
      for (let i = 0; i < this.rightNames.length; i++) if ((words[i >>> 5]! & (1 << (i & 31))) !== 0) list.push(this.rightNames[i]!);
      return list;
    };
    record.defaults.forEach((words, k) => {
      if (words !== undefined && words.some((w) => w !== 0)) out.every[this.kinds[k]!] = names(words);
    });
    for (const key of [...record.entities.keys()].sort()) {
      const words = record.entities.get(key)!;
      const kind = this.kindOf(key);
      const fallback = kind < 0 ? undefined : record.defaults[kind];
      if (fallback !== undefined && words.every((w, i) => (w & ~fallback[i]!) === 0)) continue;
      if (words.some((w) => w !== 0)) out.entities[key] = names(words);
    }
    return out;
  }

  /** Whether the map answers for the entity: an entity of a covered kind in its namespace, or its Organization. */
  covers(entity: string): boolean {
    return entity === this.organizationKey || this.kindOf(entity) >= 0;
  }

  /** Whether a grant the map depends on has expired since it was written (it may over-grant until the next one). */
  isStale(nowMs: number = Date.now()): boolean {
    return this.nextExpiry !== undefined && nowMs >= this.nextExpiry;
  }

  /** Approximate bytes held by the cache of entity keys checked beyond those the rows name (bounded). */
  get cacheBytes(): number {
    return this.cachedBytes;
  }

  /** The position of the entity's kind if it is `Kind/<namespace>/<name>` of a covered kind; -1 otherwise. */
  private kindOf(entity: string): number {
    const cached = this.kindCache.get(entity);
    if (cached !== undefined) return cached;
    const kind = this.parseKind(entity);
    const cost = 2 * entity.length + KIND_CACHE_ENTRY_OVERHEAD;
    if (entity.length <= KIND_CACHE_KEY_LENGTH && this.cachedEntries < KIND_CACHE_ENTRIES && this.cachedBytes + cost <= KIND_CACHE_BYTES) {
      // A copy: the caller's string may be a slice of a large one (a request) that the cache would keep alive.
      this.kindCache.set(JSON.parse(JSON.stringify(entity)) as string, kind);
      this.cachedEntries++;
      this.cachedBytes += cost;
    }
    return kind;
  }

  private parseKind(entity: string): number {
    const prefixes = this.prefixes;
    for (let i = 0; i < prefixes.length; i++) {
      const p = prefixes[i]!;
      if (entity.length > p.length && entity.startsWith(p) && entity.indexOf('/', p.length) < 0) return i;
    }
    return -1;
  }
}

/** Builds user records from rows: masks to words, unions interned so that equal sets share one array. */
class Compiler {
  private readonly words: number;
  private readonly rightCount: number;
  private readonly interned = new Map<string, Uint32Array>();
  private readonly kindPosition: Map<string, number>;
  private readonly admin: Array<Uint32Array | undefined>;
  private readonly adminOrganization: Uint32Array | undefined;
  private readonly masksOf = new Map<PermissionMapShard, Uint32Array[]>();
  private readonly index: PermissionMapIndex;
  private readonly prefixes: readonly string[];

  constructor(index: PermissionMapIndex, prefixes: readonly string[]) {
    this.index = index;
    this.prefixes = prefixes;
    this.rightCount = index.rights.length;
    this.words = Math.max(1, Math.ceil(index.rights.length / 32));
    this.kindPosition = new Map(index.kinds.map((k, i) => [k, i]));
    this.admin = index.kinds.map((k) => (index.admins.rights[k] === undefined ? undefined : this.mask(index.admins.rights[k], `admins.rights.${k}`)));
    const org = index.admins.rights['Organization'];
    this.adminOrganization = org === undefined ? undefined : this.mask(org, 'admins.rights.Organization');
  }

  record(shards: readonly PermissionMapShard[], rows: ReadonlyArray<[number, number]>, admin: boolean): UserRecord {
    const defaults: Array<Uint32Array | undefined> = this.index.kinds.map(() => undefined);
    const entities = new Map<string, { kind: number; words: Uint32Array }>();
    let organization: Uint32Array | undefined;
    for (const [s, r] of rows) {
      const shard = shards[s]!;
      const masks = this.shardMasks(shard, s);
      const row = shard.rows[r]!;
      const set = (ref: number, where: string): Uint32Array => {
        const m = masks[ref];
        if (m === undefined) throw invalid(`shards[${s}].rows[${r}].${where}: expected a position in sets (< ${masks.length}); found ${ref}`);
        return m;
      };
      if (row.organization !== undefined) {
        if (this.index.organization === undefined) throw invalid(`shards[${s}].rows[${r}].organization: the index names no organization`);
        organization = this.union(organization, set(row.organization, 'organization'));
      }
      for (const [kind, ref] of Object.entries(row.defaults ?? {})) {
        const k = this.kind(kind, `shards[${s}].rows[${r}].defaults`);
        defaults[k] = this.union(defaults[k], set(ref, `defaults.${kind}`));
      }
      for (const [kind, names] of Object.entries(row.entities ?? {})) {
        const k = this.kind(kind, `shards[${s}].rows[${r}].entities`);
        for (const [name, ref] of Object.entries(names)) {
          const key = `${this.prefixes[k]}${name}`;
          entities.set(key, { kind: k, words: this.union(entities.get(key)?.words, set(ref, `entities.${kind}.${name}`)) });
        }
      }
    }
    if (admin) {
      this.admin.forEach((words, k) => (defaults[k] = this.union(defaults[k], words)));
      if (this.index.organization !== undefined) organization = this.union(organization, this.adminOrganization);
    }
    const out = new Map<string, Uint32Array>();
    for (const [key, { kind, words }] of entities) out.set(key, this.union(words, defaults[kind]));
    if (organization !== undefined) out.set(`Organization/${this.index.organization}`, organization);
    return { entities: out, defaults };
  }

  private kind(kind: string, where: string): number {
    const k = this.kindPosition.get(kind);
    if (k === undefined) throw invalid(`${where}: expected one of the index's kinds (${this.index.kinds.join(', ')}); found ${kind}`);
    return k;
  }

  private shardMasks(shard: PermissionMapShard, s: number): Uint32Array[] {
    let masks = this.masksOf.get(shard);
    if (!masks) this.masksOf.set(shard, (masks = shard.sets.map((m, i) => this.mask(m, `shards[${s}].sets[${i}]`))));
    return masks;
  }

  /** A hexadecimal mask → words (bit i of the number = right i). */
  private mask(hex: string, where: string): Uint32Array {
    if (!/^(0|[1-9a-f][0-9a-f]*)$/.test(hex)) throw invalid(`${where}: expected a lowercase hexadecimal mask; found ${JSON.stringify(hex)}`);
    const highestBit = (hex.length - 1) * 4 + (32 - Math.clz32(parseInt(hex[0]!, 16)));
    if (highestBit > this.rightCount) throw invalid(`${where}: mask ${hex} has bits beyond the ${this.rightCount} rights of the index`);
    const words = new Uint32Array(this.words);
    for (let w = 0, end = hex.length; end > 0 && w < this.words; w++, end -= 8) words[w] = parseInt(hex.slice(Math.max(0, end - 8), end), 16) >>> 0;
    return this.intern(words);
  }

  private union(a: Uint32Array, b: Uint32Array | undefined): Uint32Array;
  private union(a: Uint32Array | undefined, b: Uint32Array): Uint32Array;
  private union(a: Uint32Array | undefined, b: Uint32Array | undefined): Uint32Array | undefined;
  private union(a: Uint32Array | undefined, b: Uint32Array | undefined): Uint32Array | undefined {
    if (a === undefined || a === b) return b;
    if (b === undefined) return a;
    const out = new Uint32Array(this.words);
    for (let w = 0; w < this.words; w++) out[w] = a[w]! | b[w]!;
    return this.intern(out);
  }

  private intern(words: Uint32Array): Uint32Array {
    const key = words.join(',');
    const existing = this.interned.get(key);
    if (existing) return existing;
    this.interned.set(key, words);
    return words;
  }
}

const invalid = (message: string): PermissionMapError => new PermissionMapError('Invalid', `Permission map: ${message}`);

function decode(raw: string | Uint8Array): string {
  return typeof raw === 'string' ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
}

function parseJson(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new PermissionMapError('Invalid', `Permission map: ${what} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (!isRecord(value)) throw invalid(`${what}: expected a JSON object; found ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`);
  return value;
}

function checkFormat(doc: Record<string, unknown>, format: string, what: string): void {
  if (doc.format !== format) throw new PermissionMapError('Unsupported', `Permission map: ${what}: expected format ${format}; found ${show(doc.format)}`);
  if (doc.version !== VERSION) throw new PermissionMapError('Unsupported', `Permission map: ${what}: expected version ${VERSION}; found ${show(doc.version)}`);
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  try {
    return (JSON.stringify(v) ?? String(v)).slice(0, 80);
  } catch {
    return Array.isArray(v) ? 'an array' : typeof v; // too deep to print
  }
}
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

// The schema's patterns (permission-map.schema.json $defs).
const NAME = /^[^/]{1,253}$/;
const KIND = /^[A-Z][A-Za-z0-9]*$/;
const RIGHT = /^[A-Z][A-Z0-9_]{0,127}$/;
const MASK = /^(0|[1-9a-f][0-9a-f]*)$/;
const SHA256 = /^[0-9a-f]{64}$/;
const CONTENT_HASH = /^sha256:[0-9a-f]{64}$/;
const REASON = /^[A-Z][A-Za-z0-9]*$/;
/** RFC 3339 date-time (what the schema's format date-time means); isTime also checks the fields are a real time. */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$/;

function check(ok: boolean, what: string, expected: string, found: unknown): void {
  if (!ok) throw invalid(`${what}: expected ${expected}; found ${show(found)}`);
}

const isString = (v: unknown, pattern: RegExp): v is string => typeof v === 'string' && pattern.test(v);
/** Whether a mask (already matching MASK) has no bit at or beyond `rights`. */
const fits = (hex: string, rights: number): boolean => (hex.length - 1) * 4 + (32 - Math.clz32(parseInt(hex[0]!, 16))) <= rights;
/** A real instant: no 30 February, no hour 24, no leap second (Date.parse would shift or reject them). */
export function isTime(v: unknown): v is string {
  const m = typeof v === 'string' ? DATE_TIME.exec(v) : null;
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const zoneOk = m[9] === undefined || (Number(m[9]) <= 23 && Number(m[10]) <= 59);
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hour <= 23 && minute <= 59 && second <= 59 && zoneOk && !Number.isNaN(Date.parse(v as string));
}

/** An array of strings matching `pattern`: strictly ascending (by UTF-16 code units) when `ascending`, else unique. */
function checkList(v: unknown, pattern: RegExp, what: string, expected: string, ascending: boolean): asserts v is string[] {
  check(Array.isArray(v), what, `an array of ${expected}`, v);
  const list = v as unknown[];
  const seen = new Set<string>();
  list.forEach((x, i) => {
    check(isString(x, pattern), `${what}[${i}]`, expected, x);
    if (ascending) check(i === 0 || (list[i - 1] as string) < (x as string), `${what}[${i}]`, `a name after ${show(list[i - 1])} (the list is strictly ascending)`, x);
    else check(!seen.has(x as string), `${what}[${i}]`, 'no duplicate', x);
    seen.add(x as string);
  });
}

/**
 * The index, checked for every rule of the format: the shape (permission-map.schema.json), tables strictly
 * ascending, no duplicate, shard names and keys as the layout fixes them, and contentHash recomputed.
 */
function parseIndex(text: string, name: string): PermissionMapIndex {
  const index = parseJson(text, INDEX_KEY);
  checkIndex(index, name);
  const hash = `sha256:${createHash('sha256').update(JSON.stringify(hashedContent(index)), 'utf8').digest('hex')}`;
  if (hash !== index.contentHash) throw invalid(`${INDEX_KEY} contentHash: the content hashes to ${hash}; the index says ${index.contentHash} (edited, or written by something else)`);
  return index;
}

/** Throws PermissionMapError unless `doc` is an index of the format (its shape and rules; the hash is parseIndex's). */
function checkIndex(doc: Record<string, unknown>, name: string): asserts doc is Record<string, unknown> & PermissionMapIndex {
  checkFormat(doc, INDEX_FORMAT, INDEX_KEY);
  const at = (field: string): string => `${INDEX_KEY} ${field}`;
  check(typeof doc.catalog === 'string' && doc.catalog.length > 0, at('catalog'), 'a name', doc.catalog);
  check(isString(doc.namespace, NAME), at('namespace'), 'a namespace', doc.namespace);
  check(doc.organization === undefined || isString(doc.organization, NAME), at('organization'), 'a name', doc.organization);
  check(isTime(doc.evaluatedAt), at('evaluatedAt'), 'an RFC 3339 time', doc.evaluatedAt);
  check(doc.nextExpiry === undefined || isTime(doc.nextExpiry), at('nextExpiry'), 'an RFC 3339 time', doc.nextExpiry);
  check(isString(doc.contentHash, CONTENT_HASH), at('contentHash'), 'sha256:<64 hex digits>', doc.contentHash);
  checkList(doc.rights, RIGHT, at('rights'), 'right names', true);
  checkList(doc.kinds, KIND, at('kinds'), 'kind names', true);
  const admins = doc.admins;
  check(isRecord(admins), at('admins'), '{users, rights}', admins);
  const { users, rights: adminRights } = admins as Record<string, unknown>;
  checkList(users, NAME, at('admins.users'), 'user names', false);
  check(isRecord(adminRights), at('admins.rights'), 'an object kind → mask', adminRights);
  const adminKinds = new Set<string>(doc.kinds);
  if (doc.organization !== undefined) adminKinds.add('Organization');
  for (const [kind, mask] of Object.entries(adminRights as Record<string, unknown>)) {
    check(adminKinds.has(kind), at(`admins.rights.${kind}`), `a kind the map covers (${[...adminKinds].join(', ')})`, kind);
    check(isString(mask, MASK), at(`admins.rights.${kind}`), 'a mask', mask);
    check(fits(mask as string, doc.rights.length), at(`admins.rights.${kind}`), `a mask within the ${doc.rights.length} rights`, mask);
  }
  const shards = doc.shards;
  check(Array.isArray(shards) && shards.length > 0, at('shards'), 'a non-empty array', shards);
  const list = shards as unknown[];
  list.forEach((ref, i) => {
    check(
      isRecord(ref) && typeof ref.configMap === 'string' && typeof ref.key === 'string' && isString(ref.sha256, SHA256) && Number.isSafeInteger(ref.bytes) && (ref.bytes as number) >= 0,
      at(`shards[${i}]`),
      '{configMap, key, sha256, bytes}',
      ref,
    );
    // The layout: one shard in the index's ConfigMap, or shards <name>-0, <name>-1, … in this order; key <ConfigMap>.json.
    const configMap = list.length === 1 && (ref as Record<string, unknown>).configMap === name ? name : `${name}-${i}`;
    check((ref as Record<string, unknown>).configMap === configMap, at(`shards[${i}].configMap`), list.length === 1 ? `${name} or ${configMap}` : configMap, (ref as Record<string, unknown>).configMap);
    check((ref as Record<string, unknown>).key === `${configMap}.json`, at(`shards[${i}].key`), `${configMap}.json`, (ref as Record<string, unknown>).key);
  });
  const withheld = doc.withheld;
  check(withheld === undefined || (isRecord(withheld) && isString(withheld.reason, REASON) && typeof withheld.message === 'string'), at('withheld'), '{reason, message}', withheld);
}

/**
 * What contentHash covers: every field but evaluatedAt, in this order (docs/permission-map.md), with nextExpiry in
 * milliseconds since the epoch, absent organization and nextExpiry as null, and administrators' rights by kind name.
 */
export function hashedContent(index: PermissionMapIndex): Record<string, unknown> {
  const adminRights = index.admins.rights;
  return {
    format: index.format,
    version: index.version,
    catalog: index.catalog,
    namespace: index.namespace,
    organization: index.organization ?? null,
    nextExpiry: index.nextExpiry === undefined ? null : Date.parse(index.nextExpiry),
    rights: index.rights,
    kinds: index.kinds,
    admins: { users: index.admins.users, rights: Object.fromEntries(Object.keys(adminRights).sort().map((k) => [k, adminRights[k]])) },
    shards: index.shards.map((s) => ({ configMap: s.configMap, key: s.key, sha256: s.sha256, bytes: s.bytes })),
    ...(index.withheld === undefined ? {} : { withheld: { reason: index.withheld.reason, message: index.withheld.message } }),
  };
}

/** A shard, checked for every rule of the format: its namespace, unique sets, rows of unique users, positions in range. */
function parseShard(text: string, index: PermissionMapIndex, what: string): PermissionMapShard {
  const shard = parseJson(text, what);
  checkShard(shard, index, what);
  return shard;
}

/** Throws PermissionMapError unless `doc` is a shard of the format that belongs to `index`. */
function checkShard(doc: Record<string, unknown>, index: PermissionMapIndex, what: string): asserts doc is Record<string, unknown> & PermissionMapShard {
  checkFormat(doc, SHARD_FORMAT, what);
  check(doc.namespace === index.namespace, `${what} namespace`, index.namespace, doc.namespace);
  checkList(doc.sets, MASK, `${what} sets`, 'masks', false);
  doc.sets.forEach((mask, i) => check(fits(mask, index.rights.length), `${what} sets[${i}]`, `a mask within the ${index.rights.length} rights`, mask));
  const sets = doc.sets.length;
  check(Array.isArray(doc.rows), `${what} rows`, 'an array', doc.rows);
  const kinds = new Set(index.kinds);
  const isRef = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0 && (v as number) < sets;
  const ref = `a position in sets (0 to ${sets - 1})`;
  (doc.rows as unknown[]).forEach((row, r) => {
    const at = `${what} rows[${r}]`;
    check(isRecord(row), at, '{users, organization?, defaults?, entities?}', row);
    const { users, organization, defaults, entities } = row as Record<string, unknown>;
    checkList(users, NAME, `${at}.users`, 'user names', false);
    check((users as string[]).length > 0, `${at}.users`, 'at least one user', users);
    if (organization !== undefined) {
      check(index.organization !== undefined, `${at}.organization`, 'nothing (the index names no organization)', organization);
      check(isRef(organization), `${at}.organization`, ref, organization);
    }
    if (defaults !== undefined) {
      check(isRecord(defaults), `${at}.defaults`, 'an object kind → position', defaults);
      for (const [kind, s] of Object.entries(defaults as Record<string, unknown>)) {
        check(kinds.has(kind), `${at}.defaults`, `one of the index's kinds (${index.kinds.join(', ')})`, kind);
        check(isRef(s), `${at}.defaults.${kind}`, ref, s);
      }
    }
    if (entities !== undefined) {
      check(isRecord(entities), `${at}.entities`, 'an object kind → name → position', entities);
      for (const [kind, names] of Object.entries(entities as Record<string, unknown>)) {
        check(kinds.has(kind), `${at}.entities`, `one of the index's kinds (${index.kinds.join(', ')})`, kind);
        check(isRecord(names), `${at}.entities.${kind}`, 'an object name → position', names);
        for (const [entity, s] of Object.entries(names as Record<string, unknown>)) {
          check(NAME.test(entity), `${at}.entities.${kind}`, 'entity names (no slash, 1 to 253 characters)', entity);
          check(isRef(s), `${at}.entities.${kind}.${entity}`, ref, s);
        }
      }
    }
  });
}
