/**
 * `namespaceClasses` groups a namespace's users by the subjects reaching them through a trie of token sequences kept
 * per engine state (users numbered once, nothing cleared between namespaces). These properties hold it to the
 * computation it replaced — a list of tokens per user, joined into a string signature — class by class, in the same
 * order (each class's users sorted), with the rights `userClassIn` finds from each user's side, and each class's entity
 * rights to the engine's per-user `namespaceEntities` (subjects with several grants in a namespace, and with one, which
 * the subjects hold apart); on fresh engines and after changes (new users,
 * deleted ones, several namespaces walked with the same scratch space).
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import type { Engine } from '../../../src/engine/engine.ts';
import type { EngineState } from '../../../src/engine/engine-state.ts';
import { namespaceSubjects } from '../../../src/engine/namespace-classes.ts';
import { NOW, SCENARIO_TIMES, modelOfScenario, scenarioArb, scenarioChangeArb } from './scenario-arbitraries.ts';
import { engineOf } from './support.ts';

/** The former signatures: every user's tokens as a list, joined; a user named directly by a grant is its own class. */
function referenceGroups(state: EngineState, namespace: string): string[][] {
  const { restricted, groups, memberships, model } = state;
  const { owner, direct, groupNames, organizations } = namespaceSubjects(state, namespace);
  const tokens = new Map<string, number[]>();
  const push = (user: string, ...values: number[]): void => {
    let list = tokens.get(user);
    if (!list) tokens.set(user, (list = []));
    list.push(...values);
  };
  if (owner !== undefined) for (const [user, m] of memberships.membersOf(owner)) if (!restricted.has(user)) push(user, -1, m.mask);
  organizations.forEach((org, j) => {
    for (const [user, m] of memberships.membersOf(org)) if (!restricted.has(user)) push(user, -4 - j, m.mask);
  });
  groupNames.forEach((group, k) => {
    for (const user of groups.membersOf(group)) if (!restricted.has(user)) push(user, k);
  });
  for (const user of direct.keys()) if (model.users.has(user) && !restricted.has(user)) push(user, -3);
  for (const admin of state.admins) tokens.get(admin)?.push(-2);
  const bySignature = new Map<string, string[]>();
  for (const [user, list] of tokens) {
    const signature = list.includes(-3) ? `${user}\u0000` : list.join(',');
    const users = bySignature.get(signature);
    if (users) users.push(user);
    else bySignature.set(signature, [user]);
  }
  return [...bySignature.values()].map((users) => users.sort());
}

function expectSameClasses(engine: Engine): void {
  const state = (engine as unknown as { state: EngineState }).state;
  for (const ns of engine.mapNamespaces()) {
    const classes = engine.namespaceClasses(ns);
    expect([ns, classes.map((c) => c.users)]).toEqual([ns, referenceGroups(state, ns)]);
    const subjects = engine.namespaceSubjects(ns);
    for (const c of classes) {
      const { users: _, ...rights } = engine.userClassIn(subjects, c.users[0]!)!;
      const { users: __, ...found } = c;
      expect([ns, c.users[0], found]).toEqual([ns, c.users[0], rights]);
    }
    // Each class's entity rights == the engine's per-user ones (`namespaceEntities`, from the grants, not the subjects).
    const perUser = new Map<string, Map<string, number>>();
    for (const [key, rows] of engine.namespaceEntities(ns)) {
      for (const [user, set] of rows) {
        let entities = perUser.get(user);
        if (!entities) perUser.set(user, (entities = new Map()));
        entities.set(key, set);
      }
    }
    const sorted = (m: ReadonlyMap<string, number> | undefined): Array<[string, number]> => [...(m ?? [])].sort(([a], [b]) => (a < b ? -1 : 1));
    for (const c of classes) for (const u of c.users) expect([ns, u, sorted(c.entities)]).toEqual([ns, u, sorted(perUser.get(u))]);
  }
}

describe('namespaceClasses (signature trie) == per-user token lists', () => {
  test('on random models, after random changes and as time passes', () => {
    fc.assert(
      fc.property(scenarioArb, fc.array(scenarioChangeArb, { maxLength: 8 }), (s, changes) => {
        const engine = engineOf(modelOfScenario(s), { adminRights: s.adminRights, now: NOW });
        expectSameClasses(engine);
        for (const change of changes) {
          engine.apply([change]);
          expectSameClasses(engine);
        }
        for (const t of SCENARIO_TIMES) {
          engine.advanceTime(t);
          expectSameClasses(engine);
        }
      }),
      { numRuns: 300, interruptAfterTimeLimit: 60_000 },
    );
  }, 90_000);
});
