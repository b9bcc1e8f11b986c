/**
 * The ajv instance that validates manifests offline against the same JSON Schemas the CRDs are generated from,
 * including the CRDs' CEL rules (`x-kubernetes-validations`), evaluated with a CEL interpreter.
 */
import { Ajv2020, type ErrorObject, type FuncKeywordDefinition, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { evaluate } from '@marcbachmann/cel-js';
import { type JsonSchema, type KindName, readSchema } from './kinds.ts';
import type { Collaboration, Organization, User, UserGroup } from './types.generated.ts';
import { KUBERNETES_FORMATS } from './kubernetes-names.ts';
import { isTimestamp } from './timestamp.ts';

interface CelRule {
  rule: string;
  message?: string;
  fieldPath?: string;
}

/**
 * ajv-formats is CommonJS: Node's ESM loader gives its `module.exports` (the plugin) as the default import, where
 * the type declarations describe an ES module whose `default` is the plugin. The plugin is also set as
 * `module.exports.default`, so `.default` is the plugin both ways.
 */
const addFormats = addFormatsModule.default;

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
  // ajv reads a keyword's errors from the validate function's own `errors` property.
  const celRules: NonNullable<FuncKeywordDefinition['validate']> = (rules: CelRule[], data: unknown): boolean => {
    const failed: Array<Partial<ErrorObject>> = [];
    for (const rule of rules) {
      let ok: unknown;
      try {
        ok = evaluate(rule.rule, { self: data });
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
    celRules.errors = failed;
    return failed.length === 0;
  };
  ajv.addKeyword({ keyword: 'x-kubernetes-validations', schemaType: 'array', errors: true, validate: celRules });
  ajv.addSchema(readSchema('common.schema.json'), 'common.schema.json');
  return ajv;
}

/** Each kind's validator: a type guard, so that what it accepts is the kind's generated type. */
export interface KindValidators {
  User: ValidateFunction<User>;
  Organization: ValidateFunction<Organization>;
  UserGroup: ValidateFunction<UserGroup>;
  Collaboration: ValidateFunction<Collaboration>;
}

let compiled: KindValidators | undefined;

/** The validator of each kind, compiled once. */
export function kindValidators(): KindValidators {
  if (!compiled) {
    const ajv = createAjv();
    const schema = (kind: KindName): JsonSchema => readSchema(`${kind.toLowerCase()}.schema.json`) as JsonSchema;
    compiled = {
      User: ajv.compile<User>(schema('User')),
      Organization: ajv.compile<Organization>(schema('Organization')),
      UserGroup: ajv.compile<UserGroup>(schema('UserGroup')),
      Collaboration: ajv.compile<Collaboration>(schema('Collaboration')),
    };
  }
  return compiled;
}
