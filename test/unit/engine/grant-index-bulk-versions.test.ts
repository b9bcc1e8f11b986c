/**
 * `GrantIndex.bulk` (the engine's build) moves each subject's and namespace's version once at the end instead of at
 * each grant added, and keeps the model's key of a collaboration when it is `namespace/name` without building that
 * string. These hold a bulk fill to the versions adds one by one give: a subject or namespace holds a version exactly
 * when one of its grants is on an entity (not a membership), distinct subjects' versions differ, and a later add moves
 * a version past the clock the fill left.
 */
import { expect, test } from '@jest/globals';
import { GrantIndex } from '../../../src/engine/grant-index.ts';
import { EMPTY } from '../../../src/engine/right-sets.ts';
import type { CollaborationVerdict } from '../../../src/engine/verdict.ts';
import { collab } from './support.ts';

const VERDICT: CollaborationVerdict = { active: true, failures: [], granted: EMPTY, wouldGrant: EMPTY };
const collabs = [
  collab('n0/app-1', 'User/amy', 'Application/a1', ['RIGHT_APPLICATION_INFO']),
  collab('n0/app-2', 'UserGroup/devs', 'Application/a2', ['RIGHT_APPLICATION_INFO']),
  collab('n1/app-3', 'User/amy', 'Gateway/g1', ['RIGHT_GATEWAY_INFO']),
  collab('n1/m-bob', 'User/bob', 'Organization/acme', ['RIGHT_ORGANIZATION_INFO']),
  collab('n2/m-devs', 'UserGroup/devs', 'Organization/acme', ['RIGHT_ORGANIZATION_INFO']),
  collab('n3/app-4', 'Organization/acme', 'Application/a4', ['RIGHT_APPLICATION_INFO']),
];
const subjects = ['User/amy', 'UserGroup/devs', 'User/bob', 'Organization/acme', 'User/nobody'];
const namespaces = ['n0', 'n1', 'n2', 'n3', 'n4'];

function held(index: GrantIndex): unknown {
  return {
    subjects: subjects.map((s) => [s, index.subjectVersion(s) > 0]),
    namespaces: namespaces.map((ns) => [ns, index.namespaceVersion(ns) > 0]),
  };
}

test('a bulk fill gives a version to the subjects and namespaces adds one by one give one to', () => {
  const one = new GrantIndex();
  for (const c of collabs) one.add(c, VERDICT);
  const bulk = new GrantIndex();
  bulk.bulk(() => {
    for (const c of collabs) bulk.add(c, VERDICT, `${c.namespace}/${c.name}`);
  });
  expect(held(bulk)).toEqual(held(one));
  expect(held(bulk)).toEqual({
    subjects: [['User/amy', true], ['UserGroup/devs', true], ['User/bob', false], ['Organization/acme', true], ['User/nobody', false]],
    namespaces: [['n0', true], ['n1', true], ['n2', false], ['n3', true], ['n4', false]],
  });
  const versions = subjects.map((s) => bulk.subjectVersion(s)).filter((v) => v > 0);
  expect(new Set(versions).size).toBe(versions.length);
  expect(Math.max(...versions)).toBeLessThanOrEqual(bulk.clock);
  // A later add moves its subject's and namespace's versions past everything the fill left.
  const clock = bulk.clock;
  bulk.add(collab('n2/app-5', 'User/bob', 'Application/a5', ['RIGHT_APPLICATION_INFO']), VERDICT);
  expect(bulk.subjectVersion('User/bob')).toBeGreaterThan(clock);
  expect(bulk.namespaceVersion('n2')).toBeGreaterThan(clock);
});

test("a bulk fill keeps the model's key when it is namespace/name, and builds the key otherwise", () => {
  const index = new GrantIndex();
  const c = collab('n0/app-1', 'User/amy', 'Application/a1', ['RIGHT_APPLICATION_INFO']);
  const other = collab('n0/app-2', 'User/amy', 'Application/a1', ['RIGHT_APPLICATION_INFO']);
  const modelKey = ['n0', 'app-1'].join('/');
  index.bulk(() => {
    expect(index.add(c, VERDICT, modelKey).key).toBe(modelKey);
    expect(index.add(other, VERDICT, 'n0/app-x').key).toBe('n0/app-2');
    expect(index.add(collab('n0/ab', 'User/amy', 'Application/a1', []), VERDICT, 'n0xab').key).toBe('n0/ab');
  });
  expect(index.get('n0/app-2')?.collab).toBe(other);
  expect(index.get('n0/app-x')).toBeUndefined();
});
