/**
 * Kubernetes' rules for the metadata the API server checks itself (k8s.io/apimachinery/pkg/util/validation):
 * namespaces are DNS-1123 labels, names of custom resources DNS-1123 subdomains (in the schemas' objectName pattern),
 * label keys and annotation keys qualified names, label values at most 63 characters of a restricted alphabet.
 * Offline validation registers them as ajv formats of the metadata schema (which the CRDs do not carry: the API
 * server applies these very rules to every object's metadata), so `charter validate` refuses what `kubectl apply` would.
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** A namespace name (and an Organization's `spec.namespaces` entry): lowercase letters, digits, '-', at most 63. */
export function isDns1123Label(value: string): boolean {
  return value.length <= 63 && DNS1123_LABEL.test(value);
}

/** The name of a custom resource (and a label key's prefix): dot-separated DNS-1123 labels, at most 253 characters. */
export function isDns1123Subdomain(value: string): boolean {
  return value.length <= 253 && DNS1123_SUBDOMAIN.test(value);
}

/** `[prefix/]name`: prefix a DNS-1123 subdomain, name at most 63 of [-A-Za-z0-9_.] starting and ending alphanumeric. */
export function isQualifiedName(value: string): boolean {
  const parts = value.split('/');
  if (parts.length > 2) return false;
  const name = parts.pop()!;
  if (parts.length === 1 && (parts[0] === '' || !isDns1123Subdomain(parts[0]!))) return false;
  return name.length <= 63 && QUALIFIED_NAME_PART.test(name);
}

export function isLabelValue(value: string): boolean {
  return value.length <= 63 && LABEL_VALUE.test(value);
}

/** Annotation keys are qualified names once lowercased (the API server lowercases them before checking). */
export function isAnnotationKey(value: string): boolean {
  return isQualifiedName(value.toLowerCase());
}

/** The ajv formats of the metadata schema, with how messages describe what they expect. */
export const KUBERNETES_FORMATS: Record<string, { validate: (value: string) => boolean; expected: string }> = {
  'kubernetes-namespace': {
    validate: isDns1123Label,
    expected: "a namespace name: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit (RFC 1123 label)",
  },
  'kubernetes-label-key': {
    validate: isQualifiedName,
    expected: "a label key: [prefix/]name, the name at most 63 letters, digits, '-', '_' or '.' starting and ending with a letter or digit, the prefix a DNS subdomain",
  },
  'kubernetes-label-value': {
    validate: isLabelValue,
    expected: "a label value: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit (or empty)",
  },
  'kubernetes-annotation-key': {
    validate: isAnnotationKey,
    expected: "an annotation key: [prefix/]name, the name at most 63 letters, digits, '-', '_' or '.', the prefix a DNS subdomain",
  },
};
