/**
 * Kubernetes label selector matching (matchLabels and matchExpressions, all of them must hold).
 */
import type { LabelSelector } from '../api/types.generated.ts';

/** Whether labels satisfy the selector. An empty selector matches everything, as in Kubernetes. */
export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  // Own properties only: a label key like `constructor` must not find Object.prototype's.
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (!Object.hasOwn(labels, key) || labels[key] !== value) return false;
  for (const requirement of selector.matchExpressions ?? []) if (!holds(requirement.operator, requirement.values ?? [], labels, requirement.key)) return false;
  return true;
}

/**
 * One matchExpressions requirement: whether the labels' value of `key` (own properties only) satisfies it. A
 * requirement Kubernetes would refuse — In or NotIn without values, Exists or DoesNotExist with values, an unknown
 * operator — matches nobody (the schema refuses it too; this is the engine failing closed if one gets through: a
 * `NotIn` of nothing would otherwise put every user in the group).
 */
function holds(operator: string, values: readonly string[], labels: Readonly<Record<string, string>>, key: string): boolean {
  const has = Object.hasOwn(labels, key);
  switch (operator) {
    case 'In':
      return has && values.includes(labels[key]!);
    case 'NotIn':
      return values.length > 0 && (!has || !values.includes(labels[key]!));
    case 'Exists':
      return values.length === 0 && has;
    case 'DoesNotExist':
      return values.length === 0 && !has;
  }
  return false;
}

/**
 * `selectorMatches` with the selector read once: what a group's selector is matched with against every user (the
 * build matches each selector group against all users; reading the selector again per user, `Object.entries` of its
 * matchLabels and all, was ~5 % of a medium build's profile). Same answer as `selectorMatches` for every selector and
 * labels (a property test holds the two equal).
 */
export function selectorMatcher(selector: LabelSelector): (labels: Readonly<Record<string, string>>) => boolean {
  const keys: string[] = [];
  const values: string[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) keys.push(key), values.push(value);
  const expressions = (selector.matchExpressions ?? []).map((r) => ({ key: r.key, operator: r.operator, values: r.values ?? [] }));
  return (labels) => {
    for (let i = 0; i < keys.length; i++) if (!Object.hasOwn(labels, keys[i]!) || labels[keys[i]!] !== values[i]) return false;
    for (let i = 0; i < expressions.length; i++) {
      const { key, operator, values: listed } = expressions[i]!;
      if (!holds(operator, listed, labels, key)) return false;
    }
    return true;
  };
}
