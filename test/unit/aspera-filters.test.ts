/**
 * examples/aspera/README.md's "six filters" table is the Organization status of `media`: each row's count is the
 * status field's value, and its users are the users behind it.
 */
import { expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { openWorkspace } from '../../src/cli/workspace.ts';
import { authorizedUserSets, organizationStatus } from '../../src/engine/status.ts';

const readme = readFileSync('examples/aspera/README.md', 'utf8');
const HEADER = '| filter | status field | count | users |';

function rows(): Array<{ filter: string; field: string; count: number; users: string[] }> {
  const lines = readme.split('\n');
  const start = lines.indexOf(HEADER);
  if (start < 0) throw new Error(`examples/aspera/README.md: expected a table with the header ${HEADER}`);
  const out = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const [filter, field, count, users] = line.slice(1, -1).split('|').map((c) => c.trim().replace(/^`(.*)`$/, '$1')) as [string, string, string, string];
    out.push({ filter, field, count: Number(count), users: users.split(',').map((u) => u.trim()) });
  }
  return out;
}

test('the README names the six Aspera filters, each with its count and users, as the status gives them', () => {
  const workspace = openWorkspace(['examples/aspera'], { catalog: 'catalogs/aspera.yaml' });
  const status = organizationStatus(workspace.engine, 'media')!.authorizedUsers as unknown as Record<string, unknown>;
  const sets = authorizedUserSets(workspace.engine, 'media') as unknown as Record<string, unknown>;
  const table = rows();
  expect(table.map((r) => r.filter)).toEqual(['All', 'Admins', 'Through Groups', 'Through Teams', 'Through Projects', 'Through Shares']);
  for (const row of table) {
    const [field, kind] = row.field.split('.') as [string, string | undefined];
    const count = kind === undefined ? status[field] : (status[field] as Record<string, number>)[kind];
    const users = kind === undefined ? sets[field] : (sets[field] as Map<string, Set<string>>).get(kind);
    expect({ filter: row.filter, count, users: [...((users as Set<string>) ?? [])].sort() }).toEqual({ filter: row.filter, count: row.count, users: row.users });
  }
});
