/**
 * No escalation through groups (admission.md §3.3): a user joining a group gets whatever the group and the groups
 * containing it are granted; leaving loses it. The requester must hold each such Collaboration's rights on its
 * target (every Collaboration naming the group, active or not: an inactive one may become active).
 */
import type { EngineView } from '../engine/engine-view.ts';
import type { Denial } from './decide.ts';
import { grantOf, noEscalation } from './escalation.ts';
import { ancestorGroups } from './group-members.ts';
import type { Holdings } from './holdings.ts';

/** Denials for members joining (`granting`) or leaving the groups (and their ancestors). */
export function throughGroups(engine: EngineView, holdings: Holdings, groups: Iterable<string>, granting: boolean): Denial[] {
  const all = new Set<string>();
  for (const g of groups) for (const a of ancestorGroups(engine, g)) all.add(a);
  const denials: Denial[] = [];
  for (const g of [...all].sort()) {
    for (const key of [...engine.collaborationsWithSubject(`UserGroup/${g}`)].sort()) {
      const c = engine.model.collaborations.get(key);
      if (!c) continue;
      const why = `UserGroup/${g} ${granting ? 'gains' : 'loses'} members and Collaboration/${key} grants it`;
      const d = noEscalation(holdings, grantOf(engine, c), granting, why);
      if (d) denials.push(d);
    }
  }
  return denials;
}
