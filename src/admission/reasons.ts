/**
 * The reasons a request is denied (admission.md §1, §3) and the order they are reported in: every failed rule is
 * reported, the first one's reason first. `InvalidRequest` is Charter's own: a request it cannot read is denied.
 */
import type { Denial } from './decide.ts';

export const REASONS = [
  'AmbiguousIdentity',
  'UnknownRequester',
  'InvalidRequest',
  'NotPermitted',
  'NoEscalation',
  'LastOwner',
  'SubjectNotAvailable',
  'AdminOnly',
  'NameInUse',
  'LastAdmin',
] as const;

export type Reason = (typeof REASONS)[number];

export function denial(reason: Reason, message: string): Denial {
  return { reason, message };
}

/** Sorted by the order of REASONS (stable: within one reason, the order the rules found them), duplicates dropped. */
export function ordered(denials: readonly Denial[]): Denial[] {
  const seen = new Set<string>();
  const unique = denials.filter((d) => {
    const key = `${d.reason}\u0000${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const rank = (d: Denial): number => {
    const i = (REASONS as readonly string[]).indexOf(d.reason);
    return i < 0 ? REASONS.length : i;
  };
  return unique.map((d, i) => ({ d, i })).sort((a, b) => rank(a.d) - rank(b.d) || a.i - b.i).map(({ d }) => d);
}

/** `RIGHT_A, RIGHT_B` */
export const rightList = (names: readonly string[]): string => names.join(', ');
