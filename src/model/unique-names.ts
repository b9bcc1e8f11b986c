/**
 * A list of names without repeats, as the model keeps its lists (a group's users, an organization's namespaces):
 * exactly `[...new Set(list)]`, the first occurrence of each name kept, in order.
 *
 * Hashing every name of a long list is most of what converting a large group costs (5,000 names: ~1.6 ms of CPU on
 * the reference machine). A change usually edits a list in a few places, and the list before it — a model object's,
 * which has no repeats — says where: given it as `reference`, the two lists are walked side by side and only the names
 * where they differ are checked for a repeat, each against the others and against the reference's names; the result is
 * the same (list-alignment.ts walks them). Lists that do not line up (reordered, rewritten) fall back to the set.
 */
import { alignLists } from './list-alignment.ts';

/** Beyond this many names that differ from the reference, a set of the whole list is as cheap. */
const MAX_DIFFERING = 64;
/** Below this length a set of the whole list costs nothing worth avoiding. */
const SHORT = 64;

/**
 * `list` without repeats (first occurrences kept, order kept): always equal to `[...new Set(list)]`. `reference`, when
 * given, must itself be without repeats (a model object's list); it only makes the answer cheaper.
 */
export function uniqueNames(list: readonly string[], reference?: readonly string[]): string[] {
  if (reference === undefined || list.length < SHORT) return [...new Set(list)];
  const aligned = alignLists(reference, list, MAX_DIFFERING);
  if (!aligned) return [...new Set(list)];
  const differing = aligned.skippedB;
  const skippedInReference = new Set(aligned.skippedA);
  // The paired names are distinct: each stands for its own position of the reference, which has no repeats. So a
  // repeat in `list` involves a differing name: one differing name twice, or one equal to a paired name — that is, to
  // a name of the reference at a paired position (the reference holds it once, so indexOf finds that position).
  const seen = new Set<string>();
  for (const p of differing) {
    const name = list[p]!;
    if (seen.has(name)) return [...new Set(list)];
    seen.add(name);
    const at = reference.indexOf(name);
    if (at >= 0 && !skippedInReference.has(at)) return [...new Set(list)];
  }
  return list.slice();
}
