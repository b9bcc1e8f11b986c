/** The implication rule of docs/catalogs.md: concrete rights of one kind, no pseudo-right, no cycle. */
import { describe, expect, test } from '@jest/globals';
import { stringify } from 'yaml';
import { CatalogError } from '../../../src/catalog/catalog.ts';
import { catalogFromText, loadCatalog } from '../../../src/catalog/load-catalog.ts';

const catalog = (implications: unknown[]): string =>
  stringify({
    apiVersion: 'charter.dev/v1alpha1',
    kind: 'Catalog',
    metadata: { name: 'test' },
    spec: {
      allRight: 'RIGHT_ALL',
      kinds: [
        { name: 'User', scope: 'Cluster', rights: ['RIGHT_USER_INFO'] },
        { name: 'Organization', scope: 'Cluster', rights: ['RIGHT_ORGANIZATION_INFO'] },
        { name: 'Device', allRight: 'RIGHT_DEVICE_ALL', rights: ['RIGHT_DEVICE_READ', 'RIGHT_DEVICE_WRITE', 'RIGHT_DEVICE_DELETE'] },
      ],
      globalRights: ['RIGHT_SEND_INVITES'],
      implications,
    },
  });

const problemsOf = (implications: unknown[]): readonly string[] => {
  try {
    catalogFromText(catalog(implications), 'test.yaml');
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(CatalogError);
    return (error as CatalogError).problems;
  }
};

describe('catalog implications', () => {
  test('concrete rights of one kind, chained: accepted and closed transitively', () => {
    const compiled = catalogFromText(
      catalog([
        { right: 'RIGHT_DEVICE_DELETE', implies: ['RIGHT_DEVICE_WRITE'] },
        { right: 'RIGHT_DEVICE_WRITE', implies: ['RIGHT_DEVICE_READ'] },
      ]),
      'test.yaml',
    );
    const index = (r: string): number => compiled.rightIndex.get(r)!;
    expect(compiled.implied[index('RIGHT_DEVICE_DELETE')]!.map((i) => compiled.rights[i])).toEqual(['RIGHT_DEVICE_READ', 'RIGHT_DEVICE_WRITE']);
  });
  test.each<[string, unknown[], RegExp]>([
    ['a READ that implies the pseudo-right for the kind (so WRITE)', [{ right: 'RIGHT_DEVICE_READ', implies: ['RIGHT_DEVICE_ALL'] }], /^spec\.implications\[0\]\.implies: expected concrete rights; found the pseudo-right RIGHT_DEVICE_ALL/],
    ['a pseudo-right that implies', [{ right: 'RIGHT_ALL', implies: ['RIGHT_DEVICE_READ'] }], /^spec\.implications\[0\]\.right: expected a concrete right; found the pseudo-right RIGHT_ALL/],
    ['a cycle of two', [{ right: 'RIGHT_DEVICE_READ', implies: ['RIGHT_DEVICE_WRITE'] }, { right: 'RIGHT_DEVICE_WRITE', implies: ['RIGHT_DEVICE_READ'] }], /^spec\.implications: a cycle RIGHT_DEVICE_READ ⇒ RIGHT_DEVICE_WRITE ⇒ RIGHT_DEVICE_READ/],
    ['a right that implies itself', [{ right: 'RIGHT_DEVICE_READ', implies: ['RIGHT_DEVICE_READ'] }], /^spec\.implications: a cycle RIGHT_DEVICE_READ ⇒ RIGHT_DEVICE_READ/],
    ['a cycle of three', [{ right: 'RIGHT_DEVICE_READ', implies: ['RIGHT_DEVICE_WRITE'] }, { right: 'RIGHT_DEVICE_WRITE', implies: ['RIGHT_DEVICE_DELETE'] }, { right: 'RIGHT_DEVICE_DELETE', implies: ['RIGHT_DEVICE_READ'] }], /a cycle RIGHT_DEVICE_DELETE ⇒ RIGHT_DEVICE_READ ⇒ RIGHT_DEVICE_WRITE ⇒ RIGHT_DEVICE_DELETE/],
    ['a right of another kind', [{ right: 'RIGHT_DEVICE_READ', implies: ['RIGHT_USER_INFO'] }], /RIGHT_USER_INFO is a right of User, RIGHT_DEVICE_READ a right of Device: an implication stays within one kind/],
    ['a global right from a kind’s', [{ right: 'RIGHT_DEVICE_READ', implies: ['RIGHT_SEND_INVITES'] }], /RIGHT_SEND_INVITES is a global right/],
    ['an unknown right', [{ right: 'RIGHT_DEVICE_READ', implies: ['RIGHT_DEVICE_FLY'] }], /^spec\.implications\[0\]\.implies: unknown right RIGHT_DEVICE_FLY/],
  ])('%s: a CatalogError naming the implication', (_name, implications, message) => {
    expect(problemsOf(implications)).toEqual([expect.stringMatching(message)]);
  });
  test('the shipped catalogs keep the rule', () => {
    for (const file of [undefined, 'catalogs/thingsboard.yaml', 'catalogs/aspera.yaml']) expect(() => loadCatalog(file)).not.toThrow();
  });
});
