/**
 * The workload-side reader of a permission map (format: docs/permission-map.md): parses the index and its shards,
 * checks every shard against the SHA-256 the index lists (a torn update — shards of another generation than the
 * index — is an error, so that the caller keeps its previous map), and answers `can(user, right, entity)`.
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
/** Entity keys whose kind a map remembers beyond those its rows name. */
const KIND_CACHE_LIMIT = 100_000;

export type PermissionMapErrorReason = 'Missing' | 'Invalid' | 'Unsupported' | 'Torn';

/** Why a map could not be loaded. `Torn`: shards and index are from different updates (the next sync heals it). */
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
 * every shard it lists. Throws PermissionMapError.
 * @example
 * const map = parsePermissionMap((key) => files.get(key));
 * map.can('alice', 'RIGHT_APPLICATION_INFO', 'Application/acme/app1');
 */
export function parsePermissionMap(read: ReadData, options: { name?: string } = {}): PermissionMap {
  const rawIndex = read(INDEX_KEY, options.name ?? DEFAULT_MAP_NAME);
  if (rawIndex === undefined) throw new PermissionMapError('Missing', `Permission map: ${INDEX_KEY} is missing`);
  const index = parseIndex(decode(rawIndex));
  const shards: PermissionMapShard[] = [];
  for (const [i, ref] of index.shards.entries()) {
    const raw = read(ref.key, ref.configMap);
    if (raw === undefined) {
      throw new PermissionMapError('Missing', `Permission map of namespace ${index.namespace}: shard ${ref.key} (ConfigMap ${ref.configMap}) is missing; expected it mounted beside ${INDEX_KEY}`);
    }
    const bytes = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
    const hash = createHash('sha256').update(bytes).digest('hex');
    if (hash !== ref.sha256) {
      throw new PermissionMapError('Torn', `Permission map of namespace ${index.namespace}: shard ${ref.key} has SHA-256 ${hash}; the index expects ${ref.sha256} (an update is in progress)`);
    }
    shards.push(parseShard(decode(bytes), index, `shards[${i}] (${ref.key})`));
  }
  return new PermissionMap(index, shards);
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
  private readonly bits = new Map<string, number>();
  private readonly users = new Map<string, UserRecord>();
  /** `Kind/ns/` for each covered kind, by kind position. */
  private readonly prefixes: string[];
  /**
   * Entity key → kind position (-1: not covered), for the entities the rows name and, up to a bound, the others
   * checked: parsing a key costs more than a look-up. Past the bound keys are parsed each time (no allocation).
   */
  private readonly kindCache = new Map<string, number>();
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

  /** The position of the entity's kind if it is `Kind/<namespace>/<name>` of a covered kind; -1 otherwise. */
  private kindOf(entity: string): number {
    const cached = this.kindCache.get(entity);
    if (cached !== undefined) return cached;
    const kind = this.parseKind(entity);
    // A copy: the caller's string may be a slice of a large one (a request) that the cache would keep alive.
    if (this.kindCache.size < KIND_CACHE_LIMIT) this.kindCache.set(JSON.parse(JSON.stringify(entity)) as string, kind);
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
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(`${what}: expected a JSON object; found ${Array.isArray(value) ? 'an array' : typeof value}`);
  return value as Record<string, unknown>;
}

function checkFormat(doc: Record<string, unknown>, format: string, what: string): void {
  if (doc.format !== format) throw new PermissionMapError('Unsupported', `Permission map: ${what}: expected format ${format}; found ${JSON.stringify(doc.format)}`);
  if (doc.version !== VERSION) throw new PermissionMapError('Unsupported', `Permission map: ${what}: expected version ${VERSION}; found ${JSON.stringify(doc.version)}`);
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function check(ok: boolean, what: string, expected: string, found: unknown): void {
  if (!ok) throw invalid(`${what}: expected ${expected}; found ${JSON.stringify(found)?.slice(0, 80)}`);
}

/** The index, checked for what the reader relies on (the full shape is permission-map.schema.json). */
function parseIndex(text: string): PermissionMapIndex {
  const doc = parseJson(text, INDEX_KEY);
  checkFormat(doc, INDEX_FORMAT, INDEX_KEY);
  for (const field of ['catalog', 'namespace', 'evaluatedAt', 'contentHash']) check(typeof doc[field] === 'string', `${INDEX_KEY} ${field}`, 'a string', doc[field]);
  for (const field of ['organization', 'nextExpiry']) check(doc[field] === undefined || typeof doc[field] === 'string', `${INDEX_KEY} ${field}`, 'a string', doc[field]);
  for (const field of ['evaluatedAt', 'nextExpiry']) check(doc[field] === undefined || !Number.isNaN(Date.parse(doc[field] as string)), `${INDEX_KEY} ${field}`, 'an RFC 3339 time', doc[field]);
  check(isStringArray(doc.rights), `${INDEX_KEY} rights`, 'an array of right names', doc.rights);
  check(isStringArray(doc.kinds), `${INDEX_KEY} kinds`, 'an array of kinds', doc.kinds);
  const admins = doc.admins;
  check(isRecord(admins) && isStringArray(admins.users) && isRecord(admins.rights) && Object.values(admins.rights).every((m) => typeof m === 'string'), `${INDEX_KEY} admins`, '{users: [names], rights: {kind: mask}}', admins);
  const shards = doc.shards;
  check(Array.isArray(shards) && shards.length > 0, `${INDEX_KEY} shards`, 'a non-empty array', shards);
  (shards as unknown[]).forEach((ref, i) =>
    check(
      isRecord(ref) && typeof ref.configMap === 'string' && typeof ref.key === 'string' && typeof ref.sha256 === 'string',
      `${INDEX_KEY} shards[${i}]`,
      '{configMap, key, sha256}',
      ref,
    ),
  );
  return doc as unknown as PermissionMapIndex;
}

function parseShard(text: string, index: PermissionMapIndex, what: string): PermissionMapShard {
  const doc = parseJson(text, what);
  checkFormat(doc, SHARD_FORMAT, what);
  check(doc.namespace === index.namespace, `${what} namespace`, index.namespace, doc.namespace);
  check(isStringArray(doc.sets), `${what} sets`, 'an array of masks', doc.sets);
  check(Array.isArray(doc.rows), `${what} rows`, 'an array', doc.rows);
  const isRefs = (v: unknown): boolean => isRecord(v) && Object.values(v).every((x) => Number.isInteger(x));
  (doc.rows as unknown[]).forEach((row, r) =>
    check(
      isRecord(row) &&
        isStringArray(row.users) &&
        (row.organization === undefined || Number.isInteger(row.organization)) &&
        (row.defaults === undefined || isRefs(row.defaults)) &&
        (row.entities === undefined || (isRecord(row.entities) && Object.values(row.entities).every(isRefs))),
      `${what} rows[${r}]`,
      '{users, organization?, defaults?, entities?}',
      row,
    ),
  );
  return doc as unknown as PermissionMapShard;
}
