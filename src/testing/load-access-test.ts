/**
 * Reads an access test file (YAML, access-test.schema.json) and checks it: schema first (ajv), each case against its
 * own shape for readable messages; paths are resolved relative to the file. Throws AccessTestError, whose lines name
 * the file, the case and the field.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { createAjv } from '../api/ajv.ts';
import { readManifestText } from '../model/load-manifests.ts';
import { describeSchemaError } from '../model/schema-errors.ts';
import type { AccessTest } from './access-test.generated.ts';

const SCHEMA_FILE = join(dirname(fileURLToPath(import.meta.url)), 'access-test.schema.json');

/** Bad input in a test file: exit status 2. Each line names the file, the case and the field. */
export class AccessTestError extends Error {
  readonly lines: string[];
  constructor(lines: string[]) {
    super(lines.join('\n'));
    this.name = 'AccessTestError';
    this.lines = lines;
  }
}

export interface LoadedAccessTest {
  file: string;
  doc: AccessTest;
  /** Absolute manifest paths. */
  manifests: string[];
  catalog: string | undefined;
}

let validators: { file: ValidateFunction; check: ValidateFunction; who: ValidateFunction; admit: ValidateFunction } | undefined;

function compiled(): NonNullable<typeof validators> {
  if (!validators) {
    const ajv = createAjv();
    const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as { $id: string };
    ajv.addSchema(schema);
    const ref = (def: string): ValidateFunction => ajv.getSchema(`${schema.$id}#/$defs/${def}`)!;
    validators = { file: ajv.getSchema(schema.$id)!, check: ref('checkCase'), who: ref('whoCase'), admit: ref('admitCase') };
  }
  return validators;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A case's name for messages: its own, else what it asks (read from a case the schema may not have accepted). */
export function caseTitle(c: unknown, index: number): string {
  const record = isRecord(c) ? c : {};
  if (typeof record.name === 'string' && record.name) return `cases[${index}] (${record.name})`;
  const check = isRecord(record.check) ? record.check : undefined;
  if (check) return `cases[${index}] (${String(check.user)} on ${String(check.on)})`;
  const who = isRecord(record.who) ? record.who : undefined;
  if (who) return `cases[${index}] (who on ${String(who.on)}${who.right ? ` holding ${String(who.right)}` : ''})`;
  return `cases[${index}]`;
}

/** The schema problems of one case, judged against the shape its key (check, who, admit) asks for. */
function caseProblems(c: unknown, index: number): string[] {
  const v = compiled();
  const record = isRecord(c) ? c : {};
  const shapes = (['check', 'who', 'admit'] as const).filter((k) => k in record);
  const where = caseTitle(record, index);
  if (shapes.length !== 1) return [`${where}: expected exactly one of check, who, admit; found ${shapes.length === 0 ? 'none' : shapes.join(', ')}`];
  const validate = v[shapes[0]!];
  if (!validate(record)) return (validate.errors ?? []).map((e) => `${where}: ${describeSchemaError(e, record)}`);
  return shapeProblems(record).map((p) => `${where}: ${p}`);
}

/** What the schema does not say (ajv's strict mode keeps `required` inside anyOf out of it). */
function shapeProblems(record: Record<string, unknown>): string[] {
  if ('check' in record && !['can', 'cannot', 'rights', 'paths'].some((k) => k in record)) return ['(case): expected at least one of can, cannot, rights, paths; found none'];
  const admit = record.admit as Record<string, unknown> | undefined;
  if (admit && 'apply' in admit === 'delete' in admit) return ['admit: expected exactly one of apply, delete'];
  return [];
}

export function loadAccessTest(file: string): LoadedAccessTest {
  // The manifests' reader: a FIFO (or a device) is refused, never opened for a read that would block forever.
  const read = readManifestText(file);
  if ('problem' in read) throw new AccessTestError([`${file}: ${read.problem}`]);
  const text = read.text;
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw new AccessTestError([`${file}: not valid YAML: ${(error as Error).message.split('\n')[0]}`]);
  }
  const v = compiled();
  if (!v.file(doc)) {
    const cases = (doc as { spec?: { cases?: unknown } })?.spec?.cases;
    const lines: string[] = [];
    // Errors inside a case are reported against that case's own shape (oneOf errors name every branch otherwise).
    if (Array.isArray(cases)) cases.forEach((c, i) => lines.push(...caseProblems(c, i).map((l) => `${file}: ${l}`)));
    for (const e of v.file.errors ?? []) {
      if (/^\/spec\/cases\/\d+/.test(e.instancePath)) continue;
      lines.push(`${file}: ${describeSchemaError(e, doc)}`);
    }
    throw new AccessTestError(lines.length > 0 ? [...new Set(lines)] : [`${file}: not a valid AccessTest`]);
  }
  const shape = ((doc as AccessTest).spec.cases as unknown[]).flatMap((c, i) => caseProblems(c, i).map((l) => `${file}: ${l}`));
  if (shape.length > 0) throw new AccessTestError(shape);
  const test = doc as AccessTest;
  const base = dirname(resolve(file));
  const manifests = test.spec.manifests.map((p) => resolve(base, p));
  const missing = manifests.map((p, i) => [p, i] as const).filter(([p]) => !existsSync(p));
  const catalog = test.spec.catalog === undefined ? undefined : resolve(base, test.spec.catalog);
  const lines = missing.map(([p, i]) => `${file}: spec.manifests[${i}]: ${test.spec.manifests[i]} does not exist (${p})`);
  if (catalog !== undefined && !existsSync(catalog)) lines.push(`${file}: spec.catalog: ${test.spec.catalog} does not exist (${catalog})`);
  if (lines.length > 0) throw new AccessTestError(lines);
  return { file, doc: test, manifests, catalog };
}
