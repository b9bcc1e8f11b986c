import { describe, expect, test } from '@jest/globals';
import { loadCatalog } from '../../../src/catalog/load-catalog.ts';
import { RightSets } from '../../../src/engine/right-sets.ts';

const sets = new RightSets(loadCatalog());
const names = (rights: string[]): readonly string[] => sets.rightNames(sets.expand(rights));

describe('semantics §1 vocabulary: expand(S)', () => {
  test('the default catalog has 57 concrete rights and 6 pseudo-rights', () => {
    expect(sets.catalog.rights).toHaveLength(57);
    expect([...sets.catalog.pseudoRights.keys()].sort()).toEqual([
      'RIGHT_ALL',
      'RIGHT_APPLICATION_ALL',
      'RIGHT_CLIENT_ALL',
      'RIGHT_GATEWAY_ALL',
      'RIGHT_ORGANIZATION_ALL',
      'RIGHT_USER_ALL',
    ]);
  });
  test('RIGHT_ALL expands to every concrete right of every kind, global ones included', () => {
    expect(names(['RIGHT_ALL'])).toHaveLength(57);
    expect(names(['RIGHT_ALL'])).toContain('RIGHT_SEND_INVITES');
  });
  test('RIGHT_<KIND>_ALL expands to the rights of that kind only', () => {
    expect(names(['RIGHT_CLIENT_ALL'])).toEqual(['RIGHT_CLIENT_DELETE', 'RIGHT_CLIENT_INFO', 'RIGHT_CLIENT_SETTINGS_BASIC', 'RIGHT_CLIENT_SETTINGS_COLLABORATORS']);
    expect(names(['RIGHT_APPLICATION_ALL'])).toHaveLength(14);
    expect(names(['RIGHT_GATEWAY_ALL'])).toHaveLength(12);
  });
  test('APPLICATION_LINK implies INFO, TRAFFIC_READ and TRAFFIC_DOWN_WRITE; GATEWAY_LINK implies GATEWAY_INFO', () => {
    expect(names(['RIGHT_APPLICATION_LINK'])).toEqual([
      'RIGHT_APPLICATION_INFO',
      'RIGHT_APPLICATION_LINK',
      'RIGHT_APPLICATION_TRAFFIC_DOWN_WRITE',
      'RIGHT_APPLICATION_TRAFFIC_READ',
    ]);
    expect(names(['RIGHT_GATEWAY_LINK'])).toEqual(['RIGHT_GATEWAY_INFO', 'RIGHT_GATEWAY_LINK']);
  });
  test('output holds concrete rights only, sorted ascending', () => {
    const out = names(['RIGHT_USER_ALL', 'RIGHT_GATEWAY_LINK']);
    expect(out.every((r) => !r.endsWith('_ALL'))).toBe(true);
    expect([...out]).toEqual([...out].sort());
  });
  test('kindRights(K) intersects: a Gateway right never shows on an Application', () => {
    const mixed = sets.expand(['RIGHT_GATEWAY_INFO', 'RIGHT_APPLICATION_INFO']);
    expect(sets.rightNames(sets.intersect(mixed, sets.kindRights('Application')))).toEqual(['RIGHT_APPLICATION_INFO']);
  });
  test('the _KEYS rights are withheld from admins by default', () => {
    expect(sets.catalog.adminWithheld.map((i) => sets.catalog.rights[i]).every((r) => r!.endsWith('_KEYS'))).toBe(true);
    expect(sets.catalog.adminWithheld).toHaveLength(6);
  });
});
