/** collaborationFrom: the model's Collaboration from a validated object; what it does with what validation missed. */
import { expect, test } from '@jest/globals';
import type { Collaboration } from '../../../src/api/types.generated.ts';
import { collaborationFrom } from '../../../src/model/model.ts';

const raw = (expiresAt: string): Collaboration => ({
  apiVersion: 'charter.dev/v1alpha1',
  kind: 'Collaboration',
  metadata: { name: 'c', namespace: 'n' },
  spec: { subject: { kind: 'User', name: 'a' }, target: { kind: 'Application', name: 'x' }, rights: ['RIGHT_APPLICATION_INFO'], expiresAt },
});

test('an expiresAt the parser refuses counts as long expired (the epoch), never as a grant that does not expire', () => {
  expect(collaborationFrom(raw('2027-02-29T00:00:00Z'), 'n').expiresAt).toBe(0); // no such day
  expect(collaborationFrom(raw('tomorrow'), 'n').expiresAt).toBe(0);
  expect(collaborationFrom(raw('2027-01-01T00:00:00Z'), 'n').expiresAt).toBe(Date.parse('2027-01-01T00:00:00Z'));
});
