/**
 * The ajv instance that validates manifests offline against the same JSON Schemas the CRDs are generated from,
 * including the CRDs' CEL rules (`x-kubernetes-validations`), evaluated with a CEL interpreter.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { evaluate } from '@marcbachmann/cel-js';
import { KINDS, type JsonSchema, type KindName, readSchema } from './kinds.ts';
import { KUBERNETES_FORMATS } from './kubernetes-names.ts';
import { isTimestamp } from './timestamp.ts';

interface CelRule {
  rule: string;
  message?: string;
  fieldPath?: string;
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;

/**
 * A fresh ajv that knows the Kubernetes extension keywords and the formats Kubernetes checks: `date-time` is the
 * one timestamp parser's (src/api/timestamp.ts), not ajv-formats' (which takes leap seconds the runtime cannot
 * represent and the API server refuses); the metadata formats are Kubernetes' name rules (kubernetes-names.ts).
 */
export function createAjv(): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: true, useDefaults: false });
  addFormats(ajv);
  ajv.addFormat('date-time', { type: 'string', validate: isTimestamp });
  for (const [name, format] of Object.entries(KUBERNETES_FORMATS)) ajv.addFormat(name, { type: 'string', validate: format.validate });
  for (const keyword of ['x-charter', 'x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-preserve-unknown-fields']) {
    ajv.addKeyword({ keyword });
  }
  ajv.addKeyword({
    keyword: 'x-kubernetes-validations',
    schemaType: 'array',
    errors: true,
    validate: function celRules(this: unknown, rules: CelRule[], data: unknown): boolean {
      const failed: Array<Partial<ErrorObject>> = [];
      for (const rule of rules) {
        let ok: unknown;
        try {
          ok = evaluate(rule.rule, { self: data as never });
        } catch {
          ok = false;
        }
        if (ok !== true) {
          failed.push({
            keyword: 'x-kubernetes-validations',
            message: rule.message ?? `failed rule: ${rule.rule}`,
            params: { fieldPath: rule.fieldPath ?? '' },
          });
        }
      }
      (celRules as unknown as { errors: Array<Partial<ErrorObject>> }).errors = failed;
      return failed.length === 0;
    },
  });
  ajv.addSchema(readSchema('common.schema.json'), 'common.schema.json');
  return ajv;
}

let compiled: Map<KindName, ValidateFunction> | undefined;

/** The validator of each kind, compiled once. */
export function kindValidators(): Map<KindName, ValidateFunction> {
  if (!compiled) {
    const ajv = createAjv();
    compiled = new Map(KINDS.map((kind) => [kind, ajv.compile(readSchema(`${kind.toLowerCase()}.schema.json`) as JsonSchema)]));
  }
  return compiled;
}
