/**
 * The SpiceDB translation of `npm run bench:peers` (bench/peers/spicedb-translation.ts), without SpiceDB: hand-made
 * models checked for the schema and relationships they must give (organization intersection, nested groups and
 * cycles, expiry and other inactive grants, user states, admins, ownership), and random models checked end to end by
 * evaluating the generated schema the way SpiceDB defines it (a union of terms; `a->b` walks relation a, then b) on
 * the generated relationships, against the engine's reference evaluation.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { loadCatalog } from '../../../src/catalog/load-catalog.ts';
import { Engine } from '../../../src/engine/engine.ts';
import { evaluate } from '../../../src/engine/evaluate.ts';
import { objectId, translate } from '../../../bench/peers/spicedb-translation.ts';
import { collab, group, modelOf, org, user } from '../engine/support.ts';
import { NOW, modelOfScenario, scenarioArb } from '../engine/scenario-arbitraries.ts';

const catalog = loadCatalog();
const rightsOf = (kind: string): string[] => catalog.kinds.get(kind)!.rights.map((i) => catalog.rights[i]!.toLowerCase());
const APP = rightsOf('Application');

/** The worked example of semantics §7. */
const worked = () =>
  modelOf(
    org('acme', { namespaces: ['acme'] }),
    user('alice'),
    user('bob'),
    user('carol'),
    group('devs', { users: ['bob'] }),
    collab('acme/m-alice', 'User/alice', 'Organization/acme', ['RIGHT_ORGANIZATION_INFO', 'RIGHT_APPLICATION_INFO']),
    collab('acme/m-devs', 'UserGroup/devs', 'Organization/acme', ['RIGHT_APPLICATION_ALL']),
    collab('acme/c-carol', 'User/carol', 'Application/app1', ['RIGHT_APPLICATION_LINK']),
  );

describe('relationships', () => {
  test('the worked example: memberships per right, a grant expanded by its implications, ownership of the namespace', () => {
    const t = translate(worked(), catalog, NOW);
    const rels = [...t.relationships].sort();
    expect(rels).toEqual(expect.arrayContaining(['organization:acme#m_right_organization_info@user:alice', 'organization:acme#m_right_application_info@user:alice', 'usergroup:devs#member@user:bob']));
    expect(rels.filter((r) => r.startsWith('organization:acme#m_') && r.endsWith('@usergroup:devs#member')).map((r) => r.slice('organization:acme#m_'.length, r.indexOf('@')))).toEqual(APP);
    expect(rels.filter((r) => r.startsWith('application:acme/app1#g_'))).toEqual(
      ['right_application_info', 'right_application_link', 'right_application_traffic_down_write', 'right_application_traffic_read'].map((r) => `application:acme/app1#g_${r}@user:carol`),
    );
    // ownerRights default to RIGHT_ALL: the namespace is owned for every right of a namespaced kind, none of User's.
    const owned = rels.filter((r) => r.startsWith('namespace:acme#own_'));
    expect(owned).toHaveLength(rightsOf('Application').length + rightsOf('Gateway').length + rightsOf('Client').length);
    expect(owned.every((r) => r.endsWith('@organization:acme'))).toBe(true);
    expect(rels).toEqual(expect.arrayContaining(['application:acme/app1#namespace@namespace:acme', 'namespace:acme#platform@platform:charter', 'user:alice#itself@user:alice', 'user:alice#platform@platform:charter']));
    expect(t.collaborations).toEqual({ active: 3, inactive: 0 });
  });

  test('a membership of RIGHT_ALL holds organization and namespaced rights, never User rights (they mask nothing)', () => {
    const rels = translate(modelOf(org('o', { namespaces: ['n'] }), user('u'), collab('n/m', 'User/u', 'Organization/o', ['RIGHT_ALL'])), catalog, NOW).relationships.sort();
    const held = rels.filter((r) => r.startsWith('organization:o#m_')).map((r) => r.slice('organization:o#m_'.length, r.indexOf('@')));
    expect(held).toEqual([...rightsOf('Organization'), ...APP, ...rightsOf('Gateway'), ...rightsOf('Client')].sort());
  });

  test("an organization's grant on an entity is a relation to the organization, met by its members' mask in the schema", () => {
    const t = translate(modelOf(org('o', { namespaces: ['own'] }), org('other', { namespaces: ['n'] }), collab('n/g', 'Organization/o', 'Application/app', ['RIGHT_APPLICATION_INFO'])), catalog, NOW);
    expect(t.relationships).toContain('application:n/app#og_right_application_info@organization:o');
    expect(t.schema).toContain('permission right_application_info = g_right_application_info + og_right_application_info->ms_right_application_info + namespace->owned_right_application_info + namespace->admin');
    expect(t.schema).toContain('permission ms_right_application_info = m_right_application_info + ancestor->m_right_application_info');
    expect(t.schema).toContain('permission owned_right_application_info = own_right_application_info->ms_right_application_info');
  });

  test('restricted ownerRights own only their expansion', () => {
    const t = translate(modelOf(org('o', { namespaces: ['n'], ownerRights: ['RIGHT_GATEWAY_LINK'] })), catalog, NOW, { entities: [{ kind: 'Gateway', namespace: 'n', name: 'gw' }] });
    expect([...t.relationships].sort().filter((r) => r.startsWith('namespace:n#own_'))).toEqual(['namespace:n#own_right_gateway_info@organization:o', 'namespace:n#own_right_gateway_link@organization:o']);
    expect(t.relationships).toContain('gateway:n/gw#namespace@namespace:n');
  });

  test('nested groups are usergroup#member; a cycle is condensed so that SpiceDB never recurses through it', () => {
    const nestedRels = translate(modelOf(user('a'), user('b'), group('outer', { groups: ['inner', 'missing'] }), group('inner', { users: ['a'] })), catalog, NOW).relationships.sort();
    expect(nestedRels.filter((r) => r.startsWith('usergroup:'))).toEqual(['usergroup:inner#member@user:a', 'usergroup:outer#member@usergroup:inner#member']);
    const cycle = translate(
      modelOf(user('a'), user('b'), user('c'), group('x', { users: ['a'], groups: ['y'] }), group('y', { users: ['b'], groups: ['x', 'z'] }), group('z', { users: ['c'] })),
      catalog,
      NOW,
    ).relationships.filter((r) => r.startsWith('usergroup:')).sort();
    expect(cycle).toEqual([
      'usergroup:x#member@user:a',
      'usergroup:x#member@user:b',
      'usergroup:x#member@usergroup:z#member',
      'usergroup:y#member@user:a',
      'usergroup:y#member@user:b',
      'usergroup:y#member@usergroup:z#member',
      'usergroup:z#member@user:c',
    ]);
  });

  test('label selectors are expanded to the users they match', () => {
    const rels = translate(modelOf(user('a', { labels: { team: 'x' } }), user('b', { labels: { team: 'y' } }), user('c'), group('g', { selector: { matchExpressions: [{ key: 'team', operator: 'In', values: ['x', 'y'] }] } })), catalog, NOW).relationships.sort();
    expect(rels.filter((r) => r.startsWith('usergroup:'))).toEqual(['usergroup:g#member@user:a', 'usergroup:g#member@user:b']);
  });

  test('an expired grant (expiresAt at or before now) gives nothing; one expiring later counts', () => {
    const model = modelOf(
      org('o', { namespaces: ['n'] }),
      user('u'),
      collab('n/past', 'User/u', 'Application/a', ['RIGHT_APPLICATION_INFO'], { expiresAt: NOW - 1 }),
      collab('n/now', 'User/u', 'Application/b', ['RIGHT_APPLICATION_INFO'], { expiresAt: NOW }),
      collab('n/later', 'User/u', 'Application/c', ['RIGHT_APPLICATION_INFO'], { expiresAt: NOW + 1 }),
    );
    const t = translate(model, catalog, NOW);
    expect(t.relationships.filter((r) => r.includes('#g_')).sort()).toEqual(['application:n/c#g_right_application_info@user:u']);
    expect(t.collaborations).toEqual({ active: 1, inactive: 2 });
  });

  test('inactive grants of every other kind give nothing', () => {
    const model = modelOf(
      org('o', { namespaces: ['n'] }),
      org('p', { namespaces: ['shared'] }),
      org('q', { namespaces: ['shared'] }),
      user('u'),
      collab('n/unknown', 'User/u', 'Application/a', ['RIGHT_NOPE']),
      collab('n/not-applicable', 'User/u', 'Application/a', ['RIGHT_GATEWAY_INFO']),
      collab('n/user-target', 'User/u', 'User/u', ['RIGHT_USER_INFO']),
      collab('n/nested', 'Organization/p', 'Organization/o', ['RIGHT_ALL']),
      collab('other/not-owned', 'User/u', 'Organization/o', ['RIGHT_ALL']),
      collab('shared/conflict', 'User/u', 'Organization/p', ['RIGHT_ALL']),
      collab('n/ghost', 'User/ghost', 'Application/a', ['RIGHT_APPLICATION_INFO']),
      collab('n/role', 'User/u', 'Application/a', [], { role: 'no-such-role' }),
    );
    const t = translate(model, catalog, NOW);
    expect(t.collaborations).toEqual({ active: 0, inactive: 8 });
    expect(t.relationships.filter((r) => r.includes('#g_') || r.includes('#m_') || r.includes('#og_'))).toEqual([]);
    // A namespace two organizations claim is owned by neither.
    expect(t.relationships.filter((r) => r.startsWith('namespace:shared#own_'))).toEqual([]);
  });

  test('user states: a restricted user is a subject of nothing but itself; only an Approved admin is a platform admin', () => {
    const model = modelOf(
      org('o', { namespaces: ['n'] }),
      user('s', { state: 'Suspended', admin: true }),
      user('f', { state: 'Flagged', admin: true }),
      user('a', { admin: true }),
      user('r', { state: 'Requested' }),
      group('g', { users: ['s', 'f', 'r'] }),
      collab('n/s', 'User/s', 'Application/x', ['RIGHT_APPLICATION_INFO']),
      collab('n/m', 'User/r', 'Organization/o', ['RIGHT_ALL']),
    );
    const rels = translate(model, catalog, NOW).relationships.sort();
    expect(rels.filter((r) => r.startsWith('platform:'))).toEqual(['platform:charter#admin@user:a']);
    expect(rels.filter((r) => r.startsWith('usergroup:'))).toEqual(['usergroup:g#member@user:f']);
    expect(rels).toEqual(expect.arrayContaining(['user:s#suspended@user:s', 'user:r#requested@user:r', 'user:f#itself@user:f']));
    expect(rels.filter((r) => r.includes('@user:s') || r.includes('@user:r')).sort()).toEqual(['user:r#requested@user:r', 'user:s#suspended@user:s']);
  });

  test('ancestors are listed as the engine computes them: none on a cycle of parents, the chain up to a cycle', () => {
    const rels = translate(
      modelOf(org('a', { parent: 'b' }), org('b', { parent: 'c' }), org('c'), org('x', { parent: 'y' }), org('y', { parent: 'x' }), org('d', { parent: 'x' }), org('e', { parent: 'gone' })),
      catalog,
      NOW,
    ).relationships.filter((r) => r.includes('#ancestor@')).sort();
    expect(rels).toEqual(['organization:a#ancestor@organization:b', 'organization:a#ancestor@organization:c', 'organization:b#ancestor@organization:c', 'organization:d#ancestor@organization:x']);
  });

  test('object ids keep to what SpiceDB accepts, reversibly', () => {
    expect(objectId('alice.example.com')).toBe('alice=2Eexample=2Ecom');
    expect(objectId('a=b')).toBe('a=3Db');
    expect(objectId('plain-name_1')).toBe('plain-name_1');
    const rels = translate(modelOf(user('alice.x')), catalog, NOW).relationships.sort();
    expect(rels).toContain('user:alice=2Ex#itself@user:alice=2Ex');
  });
});

describe('schema', () => {
  test('per-right permissions; rights withheld from admins have no admin term unless adminRights is all', () => {
    const schema = translate(modelOf(), catalog, NOW).schema;
    for (const r of APP) expect(schema).toContain(`permission ${r} = `);
    expect(schema).toMatch(/permission right_application_devices_read_keys = [^\n]*owned_right_application_devices_read_keys\n/);
    expect(schema).toContain('permission right_user_settings_api_keys = itself\n');
    expect(schema).toContain('permission right_user_info = itself + requested + rejected + suspended + platform->admin\n');
    const all = translate(modelOf(), catalog, NOW, { adminRights: 'all' }).schema;
    expect(all).toMatch(/permission right_application_devices_read_keys = [^\n]* \+ namespace->admin\n/);
  });
});

// ---------------------------------------------------------------- the schema evaluated as SpiceDB defines it

/** Check semantics of the subset of SpiceDB's schema language the translation writes: `+` of relations and arrows. */
function interpreter(schema: string, relationships: readonly string[]) {
  const permissions = new Map<string, string[][]>(); // `type#name` → terms, each [relation] or [relation, target]
  let type = '';
  for (const line of schema.split('\n')) {
    const def = /^definition (\w+) \{/.exec(line);
    if (def) type = def[1]!;
    const perm = /^ {2}permission (\w+) = (.+)$/.exec(line);
    if (perm) permissions.set(`${type}#${perm[1]}`, perm[2]!.split(' + ').map((term) => term.split('->')));
  }
  const subjects = new Map<string, string[]>(); // `type:id#relation` → subjects
  for (const r of relationships) {
    const [resource, subject] = r.split('@') as [string, string];
    subjects.set(resource, [...(subjects.get(resource) ?? []), subject]);
  }
  const memo = new Map<string, boolean>();
  const has = (object: string, name: string, user: string): boolean => {
    const key = `${object}#${name}@${user}`;
    if (memo.has(key)) return memo.get(key)!;
    memo.set(key, false); // a cycle finds nothing new
    const terms = permissions.get(`${object.slice(0, object.indexOf(':'))}#${name}`);
    let result: boolean;
    if (terms === undefined) {
      result = (subjects.get(`${object}#${name}`) ?? []).some((s) => (s.includes('#') ? has(s.slice(0, s.indexOf('#')), s.slice(s.indexOf('#') + 1), user) : s === user));
    } else {
      result = terms.some(([relation, target]) =>
        target === undefined ? has(object, relation!, user) : (subjects.get(`${object}#${relation}`) ?? []).some((s) => has(s, target, user)),
      );
    }
    memo.set(key, result);
    return result;
  };
  return has;
}

test('random models: the generated schema and relationships answer every question as evaluate does', () => {
  fc.assert(
    fc.property(scenarioArb, (s) => {
      const model = modelOfScenario(s);
      const engine = new Engine(modelOfScenario(s), catalog, { adminRights: s.adminRights }, NOW);
      const namespaces = [...new Set([...model.organizations.values()].flatMap((o) => o.namespaces))];
      const entities = [
        ...namespaces.flatMap((namespace) => ['Application', 'Gateway', 'Client'].map((kind) => ({ kind, namespace, name: 'unnamed' }))),
        ...[...model.collaborations.values()].filter((c) => c.target.kind !== 'User' && c.target.kind !== 'Organization').map((c) => ({ kind: c.target.kind, namespace: c.namespace, name: c.target.name })),
      ];
      const t = translate(model, catalog, NOW, { adminRights: s.adminRights === 'all' ? 'all' : 'default', entities });
      const has = interpreter(t.schema, t.relationships);
      const refs = [
        ...entities,
        ...[...model.organizations.keys()].map((name) => ({ kind: 'Organization', namespace: undefined, name })),
        ...[...model.users.keys()].map((name) => ({ kind: 'User', namespace: undefined, name })),
      ];
      for (const u of model.users.keys()) {
        for (const ref of refs) {
          const expected = evaluate(engine, u, ref).rights;
          for (const r of catalog.kinds.get(ref.kind)!.rights) {
            const answer = has(t.names.entity(ref), t.names.permission(r), `user:${objectId(u)}`);
            if (answer !== engine.sets.has(expected, r)) {
              throw new Error(`${u} ${catalog.rights[r]} ${ref.kind}/${ref.namespace ?? ''}/${ref.name}: translation ${answer}, engine ${!answer}`);
            }
          }
        }
      }
    }),
    { numRuns: 100 },
  );
});
