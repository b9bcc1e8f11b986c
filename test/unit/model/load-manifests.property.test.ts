/**
 * The manifest loader under generated input: random YAML-ish text, mutated valid manifests, random bytes, aliases,
 * random objects. It never throws (ManifestPathError is only for a path that does not exist), never hangs, names
 * the generated file in every problem, keeps loading the good file beside it, and the CLI exits 2 with lines that
 * start with the file's path.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadManifests } from '../../../src/model/load-manifests.ts';
import { toModelObject } from '../../../src/model/to-model-object.ts';
import { charter } from '../cli/support.ts';

const VALID = `apiVersion: charter.dev/v1alpha1
kind: Organization
metadata: { name: acme, labels: { team: iot } }
spec: { namespaces: [acme], parent: root }
---
apiVersion: charter.dev/v1alpha1
kind: UserGroup
metadata: { name: devs }
spec:
  members:
    users: &people [alice, bob]
    selector: { matchLabels: { team: iot }, matchExpressions: [{ key: tier, operator: In, values: [gold] }] }
---
apiVersion: charter.dev/v1alpha1
kind: Collaboration
metadata: { name: m-devs, namespace: acme }
spec:
  subject: { kind: UserGroup, name: devs }
  target: { kind: Organization, name: acme }
  rights: [RIGHT_APPLICATION_ALL]
  expiresAt: "2027-01-01T00:00:00Z"
`;

const YAML_CHARS = [...'abcUZ019 :-[]{},&*!|>\'"#?%@`\n\t.\\/_<=\uFEFF\u0000é'];

/** A valid manifest with characters inserted, deleted or replaced. */
const mutated = fc
  .array(fc.tuple(fc.nat({ max: VALID.length }), fc.nat({ max: 3 }), fc.constantFrom(...YAML_CHARS)), { minLength: 1, maxLength: 8 })
  .map((edits) => {
    let text = VALID;
    for (const [at, op, ch] of edits) {
      const i = Math.min(at, text.length);
      text = op === 0 ? text.slice(0, i) + text.slice(i + 1) : op === 1 ? text.slice(0, i) + ch + text.slice(i) : text.slice(0, i) + ch + text.slice(i + 1);
    }
    return Buffer.from(text);
  });

/** Text over YAML's punctuation. */
const yamlish = fc.array(fc.constantFrom(...YAML_CHARS), { maxLength: 200 }).map((chars) => Buffer.from(chars.join('')));

/** Aliases and anchors, nested and repeated. */
const aliases = fc
  .tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }), fc.boolean())
  .map(([levels, width, inMetadata]) => {
    const lines = ['a0: &a0 [x, y]'];
    for (let i = 1; i <= levels; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: width }, () => `*a${i - 1}`).join(', ')}]`);
    const body = lines.map((l) => `  ${l}`).join('\n');
    return Buffer.from(`apiVersion: charter.dev/v1alpha1\nkind: User\nmetadata:\n  name: n\n${inMetadata ? '  labels:\n  ' : 'spec:\n'}${inMetadata ? body.replace(/\n/g, '\n  ') : body}\n`);
  });

/** Charter-looking objects with arbitrary values. */
const objects = fc
  .record({
    apiVersion: fc.constantFrom('charter.dev/v1alpha1', 'charter.dev/v2', undefined),
    kind: fc.constantFrom('User', 'Organization', 'UserGroup', 'Collaboration', 'Colaboration'),
    metadata: fc.oneof(fc.record({ name: fc.string(), namespace: fc.option(fc.string(), { nil: undefined }), labels: fc.dictionary(fc.string(), fc.string()) }), fc.anything()),
    spec: fc.anything(),
  })
  .map((o) => Buffer.from(stringify(o)));

const bytes = fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b));

const input = fc.oneof(mutated, yamlish, aliases, objects, bytes);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'charter-fuzz-'));
  writeFileSync(join(dir, 'a-good.yaml'), 'apiVersion: charter.dev/v1alpha1\nkind: User\nmetadata: { name: zed }\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the manifest loader under generated input', () => {
  test('never throws; every problem names the generated file in one line; the good file still loads', () => {
    const fuzzed = join(dir, 'fuzzed.yaml');
    fc.assert(
      fc.property(input, (content) => {
        writeFileSync(fuzzed, content);
        const { model, problems } = loadManifests([dir]);
        expect(model.users.get('zed')).toBeDefined();
        for (const p of problems) {
          expect(p.file).toBe(fuzzed);
          expect(p.message).not.toMatch(/\n/);
          expect(p.object.length).toBeGreaterThan(0);
        }
        // Whatever was loaded is what the schema accepts: a grant's expiry is a number, never NaN.
        for (const c of model.collaborations.values()) expect(c.expiresAt === undefined || Number.isFinite(c.expiresAt)).toBe(true);
      }),
      { numRuns: 300, interruptAfterTimeLimit: 40_000 },
    );
  });

  test('toModelObject never throws on any value', () => {
    fc.assert(
      fc.property(fc.constantFrom('User', 'Organization', 'UserGroup', 'Collaboration'), fc.anything({ withNullPrototype: true, withObjectString: true }), fc.anything(), (kind, metadata, spec) => {
        const result = toModelObject({ apiVersion: 'charter.dev/v1alpha1', kind, metadata, spec });
        if (!result.ok) expect(result.problems.length).toBeGreaterThan(0);
      }),
      { numRuns: 1000, interruptAfterTimeLimit: 30_000 },
    );
  });

  test('the CLI exits 0 or 2, and every line it prints on exit 2 starts with the generated file', async () => {
    const fuzzed = join(dir, 'fuzzed.yaml');
    await fc.assert(
      fc.asyncProperty(input, async (content) => {
        writeFileSync(fuzzed, content);
        const run = await charter('can', dir, '--user', 'zed', '--on', 'User/zed');
        expect([0, 2]).toContain(run.code);
        if (run.code === 2) {
          expect(run.stderr.length).toBeGreaterThan(0);
          for (const line of run.stderr) expect(line.startsWith(`${fuzzed}: `)).toBe(true);
        }
      }),
      { numRuns: 100, interruptAfterTimeLimit: 60_000 },
    );
  });
});
