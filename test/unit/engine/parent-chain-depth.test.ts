/**
 * A chain of parents deeper than MAX_ANCESTORS (docs/semantics-notes.md): the nearest 64 ancestors count, the
 * organization reports ParentChainTooDeep, members of farther ancestors are not members (fewer rights, never more),
 * and the hierarchy stays linear in the number of organizations. Incremental updates agree with a fresh engine.
 */
import { describe, expect, test } from '@jest/globals';
import { MAX_ANCESTORS } from '../../../src/engine/organizations.ts';
import { organizationStatus, allFindings } from '../../../src/engine/status.ts';
import { collab, engineOf, modelOf, org, rights, user } from './support.ts';

const chain = (n: number) => Array.from({ length: n }, (_, i) => org(`o${i}`, { parent: i > 0 ? `o${i - 1}` : undefined, namespaces: [`ns${i}`] }));

describe('a chain of parents deeper than MAX_ANCESTORS', () => {
  test('the nearest 64 ancestors count; farther ones do not; a condition says so', () => {
    expect(MAX_ANCESTORS).toBe(64);
    const engine = engineOf(
      modelOf(
        ...chain(70),
        user('root-member'),
        user('mid-member'),
        collab('ns0/m', 'User/root-member', 'Organization/o0', ['RIGHT_APPLICATION_INFO']),
        collab('ns5/m', 'User/mid-member', 'Organization/o5', ['RIGHT_APPLICATION_INFO']),
      ),
    );
    expect(engine.organizations.ancestors.get('o64')).toHaveLength(64);
    expect(engine.organizations.ancestors.get('o65')).toHaveLength(64);
    expect(engine.organizations.ancestors.get('o65')!.at(-1)).toBe('o1');
    expect(organizationStatus(engine, 'o64')!.conditions[0]).toMatchObject({ status: 'True' });
    expect(organizationStatus(engine, 'o65')!.conditions[0]).toMatchObject({ status: 'False', reason: 'ParentChainTooDeep' });
    expect(organizationStatus(engine, 'o65')!.ancestors).toHaveLength(64); // fits status.ancestors (maxItems 64)
    // o0's member reaches o64 (o0 is its 64th ancestor), not o65; o5's member reaches o69.
    expect(rights(engine, 'root-member', 'Application/ns64/app')).toEqual(['RIGHT_APPLICATION_INFO']);
    expect(rights(engine, 'root-member', 'Application/ns65/app')).toEqual([]);
    expect(rights(engine, 'mid-member', 'Application/ns69/app')).toEqual(['RIGHT_APPLICATION_INFO']);
    expect(allFindings(engine).filter((f) => f.reason === 'ParentChainTooDeep').map((f) => f.object)).toEqual(['o65', 'o66', 'o67', 'o68', 'o69'].map((o) => `Organization/${o}`));
  });

  test('a cycle at the top of a long chain: the cycle members have no ancestors, the chain stops at the cycle', () => {
    const orgs = chain(100);
    orgs[0] = org('o0', { parent: 'o1', namespaces: ['ns0'] });
    const engine = engineOf(modelOf(...orgs));
    expect(engine.organizations.cyclic).toEqual(new Set(['o0', 'o1']));
    expect(engine.organizations.ancestors.get('o2')).toEqual(['o1']);
    expect(engine.organizations.ancestors.get('o99')).toHaveLength(64);
  });

  test('5,000 chained organizations: linear (at most 64 descendant entries each)', () => {
    const engine = engineOf(modelOf(...chain(5000)));
    let entries = 0;
    for (const set of engine.organizations.descendants.values()) entries += set.size;
    expect(entries).toBeLessThanOrEqual(64 * 5000);
    expect(engine.organizations.tooDeep.size).toBe(5000 - 65);
  });

  test('growing the chain at the top updates the depth condition incrementally', () => {
    const engine = engineOf(modelOf(...chain(65).slice(1)));
    expect(organizationStatus(engine, 'o64')!.conditions[0]).toMatchObject({ status: 'True' });
    engine.apply([{ type: 'upsert', object: org('o0', { namespaces: ['ns0'] }) }]);
    expect(organizationStatus(engine, 'o64')!.conditions[0]).toMatchObject({ status: 'True' });
    engine.apply([{ type: 'upsert', object: org('top', {}) }, { type: 'upsert', object: org('o0', { parent: 'top', namespaces: ['ns0'] }) }]);
    expect(organizationStatus(engine, 'o64')!.conditions[0]).toMatchObject({ status: 'False', reason: 'ParentChainTooDeep' });
  });
});
