/**
 * Path keys: one stable line per provenance path (semantics §6), the form access tests expect paths in and
 * `charter explain -o json` prints. Names only objects, never messages, so that a key changes only when the path does:
 *
 *   self | state <State> | admin
 *   direct Collaboration/<ns>/<name>
 *   group Collaboration/<ns>/<name> via UserGroup/<granted> > … > UserGroup/<the user's own>
 *   organization Organization/<o> by ownership|membership|Collaboration/<ns>/<name> through <membership>[; <membership>…]
 *     where <membership> is Collaboration/<ns>/<name>[ in Organization/<ancestor>][ via UserGroup/<g> > …]
 */
import type { Provenance } from '../engine/evaluate.ts';

const chain = (groups: readonly string[] | undefined): string => (groups && groups.length > 0 ? ` via ${groups.map((g) => `UserGroup/${g}`).join(' > ')}` : '');

export function pathKey(path: Provenance): string {
  switch (path.type) {
    case 'self':
      return 'self';
    case 'state':
      return `state ${path.state}`;
    case 'admin':
      return 'admin';
    case 'direct':
      return `direct Collaboration/${path.collaboration}`;
    case 'group':
      return `group Collaboration/${path.collaboration}${chain(path.chain)}`;
    case 'organization': {
      const through = path.memberships
        .map((m) => `Collaboration/${m.collaboration}${m.organization !== path.organization ? ` in Organization/${m.organization}` : ''}${chain(m.chain)}`)
        .join('; ');
      return `organization Organization/${path.organization} by ${path.grant} through ${through}`;
    }
  }
}
