/**
 * Charter's semantics (shared/design/semantics.md) as a SpiceDB schema and relationships, for `npm run bench:peers`:
 * the same model loaded into SpiceDB must answer every question as Charter does. Pure: no I/O, the time is given.
 * The schema it writes and why each part is shaped so: docs/performance.md, "Side by side with SpiceDB".
 *
 * What SpiceDB evaluates: per-right permissions (one per concrete right of a kind), group nesting (`usergroup#member`,
 * recursive), membership inherited from ancestors, the organization rule as a per-right intersection (an arrow from
 * the entity's granting or owning organization to the members holding that right in their membership), and admins
 * through one platform object. What the translation decides beforehand, because SpiceDB has no word for it or
 * Charter defines it differently: which Collaborations are active (§3, expiry at `now` included), user state (§5.1:
 * a restricted user is a subject of nothing), label selectors (expanded to the users they match), expansion of
 * pseudo-rights, implications and roles, group cycles (condensed), ancestor chains (listed, cycles and the
 * 64-ancestor cut as the engine has them) and namespace ownership (a namespace two organizations claim is owned by
 * neither). Relationships are tuples in zed's text form, `type:id#relation@type:id[#relation]`.
 */
import type { LabelSelector } from '../../src/api/types.generated.ts';
import type { Catalog } from '../../src/catalog/catalog.ts';
import type { CollaborationObject, Model, UserObject } from '../../src/model/model.ts';

export interface TranslationOptions {
  /** The operator-wide option of semantics §5.6: `all` withholds nothing from admins. */
  adminRights?: 'default' | 'all';
  /** Entities to give a namespace relationship although no grant names them (entities are references only). */
  entities?: Iterable<{ kind: string; namespace: string; name: string }>;
}

export interface Translation {
  schema: string;
  /** Deduplicated, in the order the translation meets them (the same for the same model). */
  relationships: string[];
  /** How many Collaborations became relationships, and how many were left out as inactive (§3). */
  collaborations: { active: number; inactive: number };
  /** Names used in the schema, so that questions can be asked in its terms. */
  names: SpiceNames;
}

/** Maps Charter's names (kinds, rights, entity keys, users) to the schema's object types, permissions and ids. */
export class SpiceNames {
  readonly catalog: Catalog;
  private readonly rightNames: string[];

  constructor(catalog: Catalog) {
    this.catalog = catalog;
    this.rightNames = catalog.rights.map((right, i) => {
      const lower = right.toLowerCase();
      // The longest prefix used is `owned_`: every relation and permission name must fit SpiceDB's identifier rule.
      return IDENTIFIER.test(`owned_${lower}`) && IDENTIFIER.test(lower) ? lower : `r${i}`;
    });
    for (const kind of catalog.kinds.keys()) {
      const type = kind.toLowerCase();
      if (kind !== 'User' && kind !== 'Organization' && HELPER_TYPES.has(type)) {
        throw new Error(`catalog ${catalog.name}: kind ${kind} would be the SpiceDB type ${type}, which the translation uses for itself`);
      }
      if (!IDENTIFIER.test(type)) throw new Error(`catalog ${catalog.name}: kind ${kind} is not a valid SpiceDB type name as ${type} (3–64 characters)`);
    }
  }

  /** The permission standing for a concrete right (by index). */
  permission(rightIndex: number): string {
    return this.rightNames[rightIndex]!;
  }

  /** The object type of an entity kind. */
  type(kind: string): string {
    return kind.toLowerCase();
  }

  /** `application:acme/app1` for `Application/acme/app1`; `organization:acme`, `user:alice`. */
  entity(entity: { kind: string; namespace: string | undefined; name: string }): string {
    return `${this.type(entity.kind)}:${entity.namespace === undefined ? objectId(entity.name) : `${objectId(entity.namespace)}/${objectId(entity.name)}`}`;
  }
}

/** SpiceDB's rule for type, relation and permission names. */
const IDENTIFIER = /^[a-z][a-z0-9_]{1,62}[a-z0-9]$/;
const HELPER_TYPES = new Set(['usergroup', 'namespace', 'platform']);
/** The one platform object admins are members of. */
export const PLATFORM = 'platform:charter';
const RESTRICTED = { Requested: 'requested', Rejected: 'rejected', Suspended: 'suspended' } as const;

/**
 * An object id SpiceDB accepts (`[a-zA-Z0-9/_|\-=+]`, no `.`), reversibly: every other character, and `=` itself,
 * becomes `=` and two hex digits per UTF-8 byte. Kubernetes names may hold dots.
 */
export function objectId(name: string): string {
  return name.replace(/[^a-zA-Z0-9_\-]/g, (ch) => [...Buffer.from(ch, 'utf8')].map((b) => `=${b.toString(16).padStart(2, '0').toUpperCase()}`).join(''));
}

function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (!Object.hasOwn(labels, key) || labels[key] !== value) return false;
  return (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    const has = Object.hasOwn(labels, key);
    if (operator === 'In') return has && values.includes(labels[key]!);
    if (operator === 'NotIn') return !has || !values.includes(labels[key]!);
    if (operator === 'Exists') return has;
    return !has; // DoesNotExist
  });
}

/** Translates a model evaluated at `now` (ms since the epoch). */
export function translate(model: Model, catalog: Catalog, now: number, options: TranslationOptions = {}): Translation {
  const names = new SpiceNames(catalog);
  const out = new Set<string>();
  const add = (resource: string, relation: string, subject: string): void => void out.add(`${resource}#${relation}@${subject}`);

  const kindRights = (kind: string): readonly number[] => catalog.kinds.get(kind)?.rights ?? [];
  const namespacedKinds = [...catalog.kinds.values()].filter((k) => k.scope === 'Namespaced').map((k) => k.name);
  const namespacedRights = new Set(namespacedKinds.flatMap(kindRights));
  const organizationRights = new Set(kindRights('Organization'));
  /** Rights that can matter in a membership: on the organization itself, or as a mask on its entities (§5.5). */
  const maskRights = [...new Set([...organizationRights, ...namespacedRights])].sort((a, b) => a - b);
  const withheld = new Set(options.adminRights === 'all' ? [] : catalog.adminWithheld);

  /** expand(S) of semantics §1: pseudo-rights expanded, implications closed; unknown names give nothing. */
  const expand = (rights: readonly string[]): Set<number> => {
    const result = new Set<number>();
    for (const right of rights) {
      const direct = catalog.pseudoRights.get(right) ?? (catalog.rightIndex.has(right) ? [catalog.rightIndex.get(right)!] : []);
      for (const i of direct) {
        result.add(i);
        for (const j of catalog.implied[i]!) result.add(j);
      }
    }
    return result;
  };

  // ---- users (§5.1, §5.2, §5.6): a restricted user is a subject of nothing but itself.
  const subjectUser = (name: string): UserObject | undefined => {
    const user = model.users.get(name);
    return user && (user.state === 'Approved' || user.state === 'Flagged') ? user : undefined;
  };
  for (const user of model.users.values()) {
    const id = names.entity({ kind: 'User', namespace: undefined, name: user.name });
    add(id, 'platform', PLATFORM);
    add(id, user.state in RESTRICTED ? RESTRICTED[user.state as keyof typeof RESTRICTED] : 'itself', id);
    if (user.admin && user.state === 'Approved') add(PLATFORM, 'admin', id);
  }
  const userSubject = (name: string): string => names.entity({ kind: 'User', namespace: undefined, name });
  const groupSubject = (name: string): string => `usergroup:${objectId(name)}#member`;

  // ---- groups (§4): listed users, selector matches, nested groups; a cycle is condensed so that SpiceDB never
  // recurses through it (each group of a cycle lists every member of the cycle and what the cycle nests).
  const nested = (g: string): string[] => (model.groups.get(g)?.groups ?? []).filter((h) => model.groups.has(h));
  for (const component of stronglyConnected([...model.groups.keys()], nested)) {
    const inside = new Set(component);
    const users = new Set<string>();
    const outside = new Set<string>();
    for (const g of component) {
      const group = model.groups.get(g)!;
      for (const u of group.users) if (subjectUser(u)) users.add(u);
      if (group.selector) for (const user of model.users.values()) if (subjectUser(user.name) && selectorMatches(group.selector, user.labels)) users.add(user.name);
      for (const h of nested(g)) if (!inside.has(h)) outside.add(h);
    }
    for (const g of component) {
      const id = `usergroup:${objectId(g)}`;
      for (const u of users) add(id, 'member', userSubject(u));
      for (const h of outside) add(id, 'member', groupSubject(h));
    }
  }

  // ---- organizations (§4): ancestors as the engine computes them, ownership of namespaces.
  const parentOf = (o: string): string | undefined => {
    const p = model.organizations.get(o)?.parent;
    return p !== undefined && model.organizations.has(p) ? p : undefined;
  };
  const cyclic = organizationCycles(model, parentOf);
  for (const org of model.organizations.values()) {
    const id = names.entity({ kind: 'Organization', namespace: undefined, name: org.name });
    add(id, 'platform', PLATFORM);
    if (cyclic.has(org.name)) continue; // on a cycle of parents: no ancestors
    let count = 0;
    for (let p = parentOf(org.name); p !== undefined && count < MAX_ANCESTORS; p = parentOf(p), count++) {
      add(id, 'ancestor', names.entity({ kind: 'Organization', namespace: undefined, name: p }));
      if (cyclic.has(p)) break;
    }
  }
  const claims = new Map<string, string[]>();
  for (const org of model.organizations.values()) for (const ns of new Set(org.namespaces)) claims.set(ns, [...(claims.get(ns) ?? []), org.name]);
  const owner = new Map([...claims].filter(([, orgs]) => orgs.length === 1).map(([ns, orgs]) => [ns, orgs[0]!]));

  const namespaces = new Set<string>();
  const entity = (kind: string, namespace: string, name: string): string => {
    const id = names.entity({ kind, namespace, name });
    const nsId = `namespace:${objectId(namespace)}`;
    add(id, 'namespace', nsId);
    if (!namespaces.has(namespace)) {
      namespaces.add(namespace);
      add(nsId, 'platform', PLATFORM);
      const o = owner.get(namespace);
      if (o !== undefined) {
        const own = expand(model.organizations.get(o)!.ownerRights ?? (catalog.allRight ? [catalog.allRight] : []));
        for (const r of own) if (namespacedRights.has(r)) add(nsId, `own_${names.permission(r)}`, names.entity({ kind: 'Organization', namespace: undefined, name: o }));
      }
    }
    return id;
  };
  for (const e of options.entities ?? []) if (catalog.kinds.get(e.kind)?.scope === 'Namespaced') entity(e.kind, e.namespace, e.name);

  // ---- collaborations (§3 decides which count; §5.3–5.5 what they give).
  const isRight = (r: string): boolean => catalog.rightIndex.has(r) || catalog.pseudoRights.has(r);
  const active = (c: CollaborationObject): boolean => {
    if (!c.rights.every(isRight)) return false; // UnknownRight
    if (c.role !== undefined && !catalog.roles.has(c.role)) return false; // UnknownRole
    const kind = c.target.kind;
    if (kind === 'User') return false; // InvalidTarget
    if (kind === 'Organization') {
      if (c.subject.kind === 'Organization') return false; // NestedOrganizations
      if (owner.get(c.namespace) !== c.target.name) return false; // NamespaceNotOwned
    } else {
      const info = catalog.kinds.get(kind);
      if (!info || info.scope !== 'Namespaced') return false; // InvalidTarget
      const applicable = (r: string): boolean => r === catalog.allRight || r === info.allRight || (catalog.rightIndex.has(r) && catalog.kindOfRight[catalog.rightIndex.get(r)!] === kind);
      if (!c.rights.every(applicable)) return false; // RightsNotApplicable
    }
    if (c.expiresAt !== undefined && !(c.expiresAt > now)) return false; // Expired
    const { kind: sk, name } = c.subject;
    return sk === 'User' ? model.users.has(name) : sk === 'UserGroup' ? model.groups.has(name) : model.organizations.has(name); // SubjectNotFound
  };
  let activeCount = 0;
  let inactiveCount = 0;
  for (const c of model.collaborations.values()) {
    if (!active(c)) {
      inactiveCount++;
      continue;
    }
    activeCount++;
    const granted = expand(c.role === undefined ? c.rights : [...c.rights, ...catalog.roles.get(c.role)!]);
    const { kind: sk, name: sn } = c.subject;
    // A restricted user holds nothing through a grant; the grant still counts (it is active), it just reaches no one.
    if (sk === 'User' && !subjectUser(sn)) continue;
    const subject = sk === 'User' ? userSubject(sn) : sk === 'UserGroup' ? groupSubject(sn) : names.entity({ kind: 'Organization', namespace: undefined, name: sn });
    if (c.target.kind === 'Organization') {
      const org = names.entity({ kind: 'Organization', namespace: undefined, name: c.target.name });
      for (const r of maskRights) if (granted.has(r)) add(org, `m_${names.permission(r)}`, subject);
      continue;
    }
    const id = entity(c.target.kind, c.namespace, c.target.name);
    for (const r of kindRights(c.target.kind)) if (granted.has(r)) add(id, `${sk === 'Organization' ? 'og' : 'g'}_${names.permission(r)}`, subject);
  }

  return {
    schema: schemaText(catalog, names, { maskRights, namespacedRights, withheld, namespacedKinds }),
    relationships: [...out],
    collaborations: { active: activeCount, inactive: inactiveCount },
    names,
  };
}

/** The engine's bound on ancestors (src/engine/organizations.ts, MAX_ANCESTORS): farther ones give nothing. */
const MAX_ANCESTORS = 64;

/** Organizations on a cycle of parents (§4: they have no ancestors). */
function organizationCycles(model: Model, parentOf: (o: string) => string | undefined): Set<string> {
  const cyclic = new Set<string>();
  const done = new Set<string>();
  for (const start of model.organizations.keys()) {
    const path: string[] = [];
    let o: string | undefined = start;
    while (o !== undefined && !done.has(o) && !path.includes(o)) {
      path.push(o);
      o = parentOf(o);
    }
    if (o !== undefined && path.includes(o)) for (const member of path.slice(path.indexOf(o))) cyclic.add(member);
    for (const member of path) done.add(member);
  }
  return cyclic;
}

/** Tarjan's strongly connected components, iteratively (group DAGs can be deep). */
function stronglyConnected(nodes: readonly string[], edges: (node: string) => readonly string[]): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  for (const root of nodes) {
    if (index.has(root)) continue;
    const work: { node: string; next: number; out: readonly string[] }[] = [];
    const visit = (node: string): void => {
      index.set(node, counter);
      low.set(node, counter++);
      stack.push(node);
      onStack.add(node);
      work.push({ node, next: 0, out: edges(node) });
    };
    visit(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      if (frame.next < frame.out.length) {
        const child = frame.out[frame.next++]!;
        if (!index.has(child)) visit(child);
        else if (onStack.has(child)) low.set(frame.node, Math.min(low.get(frame.node)!, index.get(child)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        components.push(component);
      }
    }
  }
  return components;
}

function schemaText(
  catalog: Catalog,
  names: SpiceNames,
  parts: { maskRights: readonly number[]; namespacedRights: ReadonlySet<number>; withheld: ReadonlySet<number>; namespacedKinds: readonly string[] },
): string {
  const p = (r: number): string => names.permission(r);
  const admin = (r: number, via: string): string => (parts.withheld.has(r) ? '' : ` + ${via}`);
  const stateRights = (r: number): string =>
    (Object.keys(RESTRICTED) as (keyof typeof RESTRICTED)[])
      .filter((state) => catalog.stateRights[state].includes(r))
      .map((state) => ` + ${RESTRICTED[state]}`)
      .join('');
  const lines: string[] = [];
  const userRights = catalog.kinds.get('User')!.rights;
  lines.push(
    '/** The one platform object: its admins hold every right the catalog does not withhold from admins (§5.6). */',
    'definition platform {',
    '  relation admin: user',
    '}',
    '',
    '/** A user, and the rights it holds on itself (§5.1, §5.2): itself for Approved and Flagged users, else its state. */',
    'definition user {',
    '  relation platform: platform',
    '  relation itself: user',
    ...Object.values(RESTRICTED).map((state) => `  relation ${state}: user`),
    ...userRights.map((r) => `  permission ${p(r)} = itself${stateRights(r)}${admin(r, 'platform->admin')}`),
    '}',
    '',
    '/** A UserGroup: listed users, selector matches (expanded), nested groups (§4). */',
    'definition usergroup {',
    '  relation member: user | usergroup#member',
    '}',
    '',
    '/** An organization: memberships per right (m_), inherited from its ancestors (ms_), its own rights (§4, §5.5). */',
    'definition organization {',
    '  relation platform: platform',
    '  relation ancestor: organization',
    ...parts.maskRights.map((r) => `  relation m_${p(r)}: user | usergroup#member`),
    ...parts.maskRights.map((r) => `  permission ms_${p(r)} = m_${p(r)} + ancestor->m_${p(r)}`),
    ...catalog.kinds.get('Organization')!.rights.map((r) => `  permission ${p(r)} = ms_${p(r)}${admin(r, 'platform->admin')}`),
    '}',
    '',
    '/** A namespace: its owner per right of expand(ownerRights) (own_), and the members that ownership reaches (owned_). */',
    'definition namespace {',
    '  relation platform: platform',
    ...[...parts.namespacedRights].sort((a, b) => a - b).map((r) => `  relation own_${p(r)}: organization`),
    ...[...parts.namespacedRights].sort((a, b) => a - b).map((r) => `  permission owned_${p(r)} = own_${p(r)}->ms_${p(r)}`),
    '  permission admin = platform->admin',
    '}',
  );
  for (const kind of parts.namespacedKinds) {
    const rights = catalog.kinds.get(kind)!.rights;
    lines.push(
      '',
      `/** ${kind}: direct and group grants (g_), organization grants (og_) met by the members' mask, ownership, admins. */`,
      `definition ${names.type(kind)} {`,
      '  relation namespace: namespace',
      ...rights.map((r) => `  relation g_${p(r)}: user | usergroup#member`),
      ...rights.map((r) => `  relation og_${p(r)}: organization`),
      ...rights.map((r) => `  permission ${p(r)} = g_${p(r)} + og_${p(r)}->ms_${p(r)} + namespace->owned_${p(r)}${admin(r, 'namespace->admin')}`),
      '}',
    );
  }
  return `${lines.join('\n')}\n`;
}
