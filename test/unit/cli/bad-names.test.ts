/** A namespace with a slash or `..` used to pass validate, then `render` wrote outside --out and `diff` printed four-part entities. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { charter } from './support.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'charter-names-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const manifests = (namespace: string): string => `apiVersion: charter.dev/v1alpha1
kind: User
metadata: { name: alice }
---
apiVersion: charter.dev/v1alpha1
kind: Collaboration
metadata: { name: c, namespace: ${JSON.stringify(namespace)} }
spec:
  subject: { kind: User, name: alice }
  target: { kind: Application, name: app1 }
  rights: [RIGHT_APPLICATION_INFO]
`;

describe('namespaces that are not DNS-1123 labels', () => {
  test.each(['../../escape', 'a/b', '__proto__', 'UPPER'])('%j: validate fails naming the field; render writes nothing outside --out; diff refuses', async (namespace) => {
    const folder = join(dir, `case-${Buffer.from(namespace).toString('hex')}`);
    mkdirSync(folder);
    const file = join(folder, 'm.yaml');
    writeFileSync(file, manifests(namespace));
    const validate = await charter('validate', folder);
    expect(validate.code).toBe(1);
    expect(validate.stdout).toEqual([expect.stringMatching(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: Collaboration/.*: SchemaInvalid: metadata\\.namespace: expected a namespace name`))]);
    const out = join(folder, 'out');
    const render = await charter('render', folder, '--out', out);
    expect(render.code).toBe(2);
    expect(readdirSync(folder).sort()).toEqual(['m.yaml', 'out']);
    expect(existsSync(join(dir, 'escape'))).toBe(false);
    const diff = await charter('diff', folder, folder);
    expect(diff.code).toBe(2);
    expect(diff.stdout).toEqual([]);
  });
});
