import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadManifests, ManifestPathError } from '../../../src/model/load-manifests.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'charter-load-'));
  mkdirSync(join(dir, 'nested', 'deeper'), { recursive: true });
  writeFileSync(
    join(dir, 'good.yaml'),
    `apiVersion: charter.dev/v1alpha1
kind: User
metadata: { name: alice }
spec: { email: alice@example.com }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: ignored }
---
apiVersion: charter.dev/v1alpha1
kind: Organization
metadata: { name: acme }
spec: { namespaces: [acme] }
`,
  );
  writeFileSync(
    join(dir, 'nested', 'deeper', 'bad.yml'),
    `apiVersion: charter.dev/v1alpha1
kind: User
metadata: { name: bob }
spec: { email: not-an-email, state: Happy, colour: blue }
---
apiVersion: charter.dev/v1alpha1
kind: Collaboration
metadata: { name: c }
spec:
  subject: { kind: Robot, name: r2 }
  target: { kind: Application }
---
apiVersion: charter.dev/v1alpha1
kind: Collaboration
metadata: { name: d, namespace: acme }
spec:
  subject: { kind: User, name: alice }
  target: { kind: Application, name: app }
  rights: [RIGHT_APPLICATION_INFO]
  expiresAt: tomorrow
---
apiVersion: charter.dev/v1alpha1
kind: UserGroup
metadata: { name: big }
spec: { members: { groups: [${Array.from({ length: 300 }, (_, i) => `g${i}`).join(', ')}] } }
`,
  );
  writeFileSync(join(dir, 'broken.yaml'), 'kind: [unclosed\n');
  writeFileSync(join(dir, 'dup.yaml'), 'apiVersion: charter.dev/v1alpha1\nkind: User\nmetadata: { name: alice }\n');
  writeFileSync(join(dir, 'notes.txt'), 'not a manifest');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loading manifests', () => {
  test('folders are read recursively, multi-document, other kinds ignored, and the good objects survive the bad ones', () => {
    const { model } = loadManifests([dir]);
    expect([...model.users.keys()]).toEqual(['alice']);
    expect([...model.organizations.keys()]).toEqual(['acme']);
    expect(model.collaborations.size).toBe(0);
  });
  test('each problem names the file, the object and the field, with what was expected and found', () => {
    const { problems } = loadManifests([dir]);
    const lines = problems.map((p) => `${p.file.slice(dir.length + 1)}: ${p.object}: ${p.message}`);
    expect(lines).toEqual(
      expect.arrayContaining([
        'nested/deeper/bad.yml: User/bob: spec.email: expected an email address; found "not-an-email"',
        'nested/deeper/bad.yml: User/bob: spec.state: expected one of Requested, Approved, Rejected, Flagged, Suspended; found "Happy"',
        'nested/deeper/bad.yml: User/bob: spec.colour: unknown field (not in the schema)',
        'nested/deeper/bad.yml: Collaboration/c: spec.subject.kind: expected one of User, UserGroup, Organization; found "Robot"',
        'nested/deeper/bad.yml: Collaboration/c: spec.target.name: expected a value, found nothing (the field is required)',
        'nested/deeper/bad.yml: Collaboration/c: spec.rights: rights and role are both empty: set at least one of them',
        'nested/deeper/bad.yml: Collaboration/c: metadata.namespace: expected a namespace (Collaboration is namespaced); found nothing',
        'nested/deeper/bad.yml: Collaboration/acme/d: spec.expiresAt: expected an RFC 3339 date-time with a time zone such as 2027-01-01T00:00:00Z (a real calendar date, seconds 00–59); found "tomorrow"',
        'nested/deeper/bad.yml: UserGroup/big: spec.members.groups: expected at most 256 items; found 300',
      ]),
    );
    expect(lines.some((l) => l.startsWith('broken.yaml: (document 1): not valid YAML'))).toBe(true);
    // Files are read in sorted order: dup.yaml comes before good.yaml, so good.yaml's alice is the duplicate.
    expect(lines.some((l) => l.startsWith('good.yaml: User/alice: defined twice: the definition in') && l.endsWith('dup.yaml is used'))).toBe(true);
  });
  test('a path that does not exist is an error', () => {
    expect(() => loadManifests([join(dir, 'nope')])).toThrow(ManifestPathError);
    expect(() => loadManifests([join(dir, 'nope')])).toThrow(/nope: no such file or directory/);
  });
});
