/**
 * A compiled catalog: every concrete right gets an index (in ascending name order, so that a set's bits list its
 * rights sorted), each kind its rights, each pseudo-right its expansion, each right its implications closed.
 */
import type { Catalog as CatalogDocument } from './catalog.generated.ts';

export type EntityScope = 'Namespaced' | 'Cluster';

export interface EntityKindInfo {
  name: string;
  scope: EntityScope;
  /** Indices of the kind's concrete rights, ascending. */
  rights: readonly number[];
  allRight: string | undefined;
}

export type RestrictedState = 'Requested' | 'Rejected' | 'Suspended';

/** The rights that gate administration (admission.md §2); an absent entry: only admins may. */
export interface Administration {
  /** Entity kind → the right on the entity that manages its collaborators. */
  collaborators: ReadonlyMap<string, string>;
  /** On an Organization: its members, groups and owned users. */
  members: string | undefined;
  /** On an Organization: its displayName. */
  organizationSettings: string | undefined;
  /** On an Organization: deleting it. */
  organizationDelete: string | undefined;
  /** On the requester's own User: creating an Organization. */
  organizationCreate: string | undefined;
  /** On a User: its displayName and email. */
  userSettings: string | undefined;
  /** On a User: deleting it. */
  userDelete: string | undefined;
  /** On an Organization with availableUsers: naming any user. */
  seeAllUsers: string | undefined;
}

const ADMINISTRATION_KINDS = {
  members: 'Organization',
  organizationSettings: 'Organization',
  organizationDelete: 'Organization',
  organizationCreate: 'User',
  userSettings: 'User',
  userDelete: 'User',
  seeAllUsers: 'Organization',
} as const;

export interface Catalog {
  name: string;
  /** Concrete rights, ascending; a right's index is its position here. */
  rights: readonly string[];
  rightIndex: ReadonlyMap<string, number>;
  kinds: ReadonlyMap<string, EntityKindInfo>;
  /** Kind of each concrete right's index; undefined for global rights. */
  kindOfRight: ReadonlyArray<string | undefined>;
  allRight: string | undefined;
  /** Pseudo-right → indices of the concrete rights it stands for. */
  pseudoRights: ReadonlyMap<string, readonly number[]>;
  /** Right index → indices it implies, transitively closed (without itself). */
  implied: ReadonlyArray<readonly number[]>;
  /** Indices withheld from administrators. */
  adminWithheld: readonly number[];
  roles: ReadonlyMap<string, readonly string[]>;
  stateRights: Readonly<Record<RestrictedState, readonly number[]>>;
  administration: Administration;
}

export class CatalogError extends Error {
  readonly problems: readonly string[];
  constructor(source: string, problems: readonly string[]) {
    super(`Catalog ${source} is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'CatalogError';
    this.problems = problems;
  }
}

/**
 * The most rights a catalog may declare (kinds' and global rights together): the Collaboration CRD's
 * `status.grantedRights` maxItems. A grant's status lists every right it grants, a membership (target an Organization)
 * can grant every right of the catalog, and a status the API server refuses (422) would leave the grant InProgress for
 * ever: such a catalog is refused at load instead.
 */
export const MAX_CATALOG_RIGHTS = 1024;

/** Checks the catalog's meaning (its shape is checked by the schema) and compiles it. Throws CatalogError. */
export function compileCatalog(doc: CatalogDocument, source: string): Catalog {
  const problems: string[] = [];
  const spec = doc.spec;
  const owner = new Map<string, string | undefined>();
  const declare = (right: string, kind: string | undefined, where: string): void => {
    if (owner.has(right)) problems.push(`${where}: right ${right} is declared twice`);
    else owner.set(right, kind);
  };
  for (const kind of spec.kinds) for (const right of kind.rights) declare(right, kind.name, `spec.kinds[${kind.name}].rights`);
  for (const right of spec.globalRights ?? []) declare(right, undefined, 'spec.globalRights');

  const kindNames = new Set<string>();
  for (const kind of spec.kinds) {
    if (kindNames.has(kind.name)) problems.push(`spec.kinds: kind ${kind.name} is declared twice`);
    kindNames.add(kind.name);
  }
  for (const required of ['User', 'Organization']) {
    const kind = spec.kinds.find((k) => k.name === required);
    if (!kind) problems.push(`spec.kinds: expected a kind named ${required}; found none`);
    else if ((kind.scope ?? 'Namespaced') !== 'Cluster') problems.push(`spec.kinds[${required}].scope: expected Cluster; found ${kind.scope ?? 'Namespaced'}`);
  }
  for (const kind of spec.kinds) {
    if (kind.name !== 'User' && kind.name !== 'Organization' && (kind.scope ?? 'Namespaced') === 'Cluster') {
      problems.push(`spec.kinds[${kind.name}].scope: only User and Organization can be cluster-scoped; found Cluster`);
    }
    if (kind.name === 'UserGroup' || kind.name === 'Collaboration') problems.push(`spec.kinds: ${kind.name} cannot be an entity kind`);
  }

  const rights = [...owner.keys()].sort();
  if (rights.length > MAX_CATALOG_RIGHTS) {
    const byKind = spec.kinds.map((k) => ({ name: k.name, count: k.rights.length })).sort((a, b) => b.count - a.count);
    problems.push(
      `spec: ${rights.length} rights (kind ${byKind[0]!.name} has ${byKind[0]!.count}); a catalog has at most ${MAX_CATALOG_RIGHTS}: a Collaboration's status lists every right it grants (status.grantedRights, at most ${MAX_CATALOG_RIGHTS} items in the CRD), and a membership can grant them all`,
    );
  }
  const rightIndex = new Map(rights.map((r, i) => [r, i]));
  const pseudoRights = new Map<string, number[]>();
  const addPseudo = (name: string, indices: number[], where: string): void => {
    if (owner.has(name) || pseudoRights.has(name)) problems.push(`${where}: pseudo-right ${name} clashes with another right`);
    else pseudoRights.set(name, indices);
  };
  if (spec.allRight) addPseudo(spec.allRight, rights.map((_, i) => i), 'spec.allRight');
  const kinds = new Map<string, EntityKindInfo>();
  for (const kind of spec.kinds) {
    const indices = [...new Set(kind.rights.map((r) => rightIndex.get(r)!))].sort((a, b) => a - b);
    kinds.set(kind.name, { name: kind.name, scope: kind.scope ?? 'Namespaced', rights: indices, allRight: kind.allRight });
    if (kind.allRight) addPseudo(kind.allRight, indices, `spec.kinds[${kind.name}].allRight`);
  }

  const known = (right: string, where: string): boolean => {
    if (rightIndex.has(right) || pseudoRights.has(right)) return true;
    problems.push(`${where}: unknown right ${right}`);
    return false;
  };
  // Implications: direct edges between concrete rights of one kind (docs/catalogs.md#implications), acyclic, then
  // closed transitively. A pseudo-right on either side would let a narrow right grant a whole kind (a READ that
  // grants WRITE); a cycle would make distinct rights one; a right of another kind means nothing on the entity.
  const direct: number[][] = rights.map(() => []);
  const kindText = (right: string): string => (owner.get(right) === undefined ? 'a global right' : `a right of ${owner.get(right)}`);
  for (const [i, implication] of (spec.implications ?? []).entries()) {
    const from = rightIndex.get(implication.right);
    if (from === undefined) {
      problems.push(`spec.implications[${i}].right: expected a concrete right; found ${pseudoRights.has(implication.right) ? `the pseudo-right ${implication.right}` : `unknown right ${implication.right}`}`);
      continue;
    }
    for (const to of implication.implies) {
      if (pseudoRights.has(to)) {
        problems.push(`spec.implications[${i}].implies: expected concrete rights; found the pseudo-right ${to} (an implication names each right it implies)`);
        continue;
      }
      if (!known(to, `spec.implications[${i}].implies`)) continue;
      if (owner.get(to) !== owner.get(implication.right)) {
        problems.push(`spec.implications[${i}].implies: ${to} is ${kindText(to)}, ${implication.right} ${kindText(implication.right)}: an implication stays within one kind`);
        continue;
      }
      direct[from]!.push(rightIndex.get(to)!);
    }
  }
  for (const cycle of implicationCycles(direct)) {
    problems.push(`spec.implications: a cycle ${[...cycle, cycle[0]!].map((r) => rights[r]).join(' ⇒ ')} (rights that imply each other are one right: declare one)`);
  }
  const implied = rights.map((_, start) => {
    const seen = new Set<number>([start]);
    const stack = [start];
    while (stack.length > 0) for (const next of direct[stack.pop()!]!) if (!seen.has(next)) (seen.add(next), stack.push(next));
    seen.delete(start);
    return [...seen].sort((a, b) => a - b);
  });

  const withheld = new Set<number>();
  for (const right of spec.adminWithheld?.rights ?? []) {
    if (known(right, 'spec.adminWithheld.rights')) for (const i of pseudoRights.get(right) ?? [rightIndex.get(right)!]) withheld.add(i);
  }
  for (const suffix of spec.adminWithheld?.suffixes ?? []) rights.forEach((r, i) => r.endsWith(suffix) && withheld.add(i));

  const roles = new Map<string, string[]>();
  for (const role of spec.roles ?? []) {
    if (roles.has(role.name)) problems.push(`spec.roles: role ${role.name} is declared twice`);
    role.rights.forEach((r) => known(r, `spec.roles[${role.name}].rights`));
    roles.set(role.name, [...role.rights]);
  }

  const userRights = new Set(kinds.get('User')?.rights ?? []);
  const stateRights = {} as Record<RestrictedState, number[]>;
  for (const state of ['Requested', 'Rejected', 'Suspended'] as const) {
    const list = spec.stateRights?.[state] ?? [];
    stateRights[state] = [];
    for (const right of list) {
      const i = rightIndex.get(right);
      if (i === undefined || !userRights.has(i)) problems.push(`spec.stateRights.${state}: expected a concrete right of kind User; found ${right}`);
      else stateRights[state].push(i);
    }
    stateRights[state].sort((a, b) => a - b);
  }

  // Administration: each right is a concrete right of the kind it is held on.
  const ofKind = (right: string, kind: string, where: string): string | undefined => {
    const i = rightIndex.get(right);
    const info = kinds.get(kind);
    if (i === undefined || !info?.rights.includes(i)) {
      problems.push(`${where}: expected a concrete right of kind ${kind}; found ${right}${i === undefined && !pseudoRights.has(right) ? ' (not in the catalog)' : ''}`);
      return undefined;
    }
    return right;
  };
  const admin = spec.administration ?? {};
  const collaborators = new Map<string, string>();
  for (const [kind, right] of Object.entries(admin.collaborators ?? {})) {
    const info = kinds.get(kind);
    if (!info || info.scope !== 'Namespaced') {
      problems.push(`spec.administration.collaborators: expected a namespaced kind of the catalog; found ${kind}`);
      continue;
    }
    const checked = ofKind(right, kind, `spec.administration.collaborators.${kind}`);
    if (checked) collaborators.set(kind, checked);
  }
  const right = (field: keyof typeof ADMINISTRATION_KINDS): string | undefined =>
    admin[field] === undefined ? undefined : ofKind(admin[field], ADMINISTRATION_KINDS[field], `spec.administration.${field}`);
  const administration: Administration = {
    collaborators,
    members: right('members'),
    organizationSettings: right('organizationSettings'),
    organizationDelete: right('organizationDelete'),
    organizationCreate: right('organizationCreate'),
    userSettings: right('userSettings'),
    userDelete: right('userDelete'),
    seeAllUsers: right('seeAllUsers'),
  };

  if (problems.length > 0) throw new CatalogError(source, problems);
  return {
    name: doc.metadata.name,
    rights,
    rightIndex,
    kinds,
    kindOfRight: rights.map((r) => owner.get(r)),
    allRight: spec.allRight,
    pseudoRights,
    implied,
    adminWithheld: [...withheld].sort((a, b) => a - b),
    roles,
    stateRights,
    administration,
  };
}

/** One cycle per strongly connected part of the implication graph that has one (a right implying itself included). */
function implicationCycles(direct: readonly number[][]): number[][] {
  const state = new Array<0 | 1 | 2>(direct.length).fill(0); // unvisited, on the path, done
  const cycles: number[][] = [];
  for (let root = 0; root < direct.length; root++) {
    if (state[root] !== 0) continue;
    const path: number[] = [root];
    const next: number[] = [0];
    state[root] = 1;
    while (path.length > 0) {
      const node = path[path.length - 1]!;
      const position = next[next.length - 1]!;
      if (position < direct[node]!.length) {
        next[next.length - 1]!++;
        const child = direct[node]![position]!;
        if (state[child] === 1) cycles.push(path.slice(path.indexOf(child)));
        else if (state[child] === 0) (state[child] = 1, path.push(child), next.push(0));
        continue;
      }
      state[node] = 2;
      path.pop();
      next.pop();
    }
  }
  return cycles;
}
