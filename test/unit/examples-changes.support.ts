/**
 * The examples' "Who may change what" tables, machine-readable for the offline check (examples-admission.test.ts,
 * through `charter admit`) and for the webhook's (test/integration/examples-admission-webhook.test.ts, the same rows
 * through `kubectl --as ... --dry-run=server` against the real kube-apiserver).
 *
 * A table `| as | operation | object | change | expected |`:
 * - `as`: the Kubernetes username making the change (a User's spec.identities);
 * - `operation`: create, update or delete;
 * - `object`: `Kind/name` or `Collaboration/<namespace>/<name>`;
 * - `change`: for create and update, the id of a YAML block in the same README whose first line is `# change: <id>`
 *   (the whole object after the change, as `kubectl apply -f` would send it); empty for delete;
 * - `expected`: `allowed`, or the denials' reasons in the order they are reported, each once (`NotPermitted, NoEscalation`).
 */
import { parse } from 'yaml';

export const CHANGE_HEADER = ['as', 'operation', 'object', 'change', 'expected'];

export interface ChangeRow {
  /** 1-based line in the README. */
  line: number;
  as: string;
  operation: 'create' | 'update' | 'delete';
  object: string;
  /** The manifest after the change (create, update). */
  manifest: Record<string, unknown> | undefined;
  /** The YAML text of the change block, as written in the README. */
  yaml: string | undefined;
  /** [] when allowed. */
  expected: string[];
}

function cells(line: string): string[] {
  const trimmed = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  return trimmed.split('|').map((cell) => cell.trim().replace(/^`(.*)`$/, '$1'));
}

/** The `# change: <id>` YAML blocks of a README: id → YAML text. */
export function changeBlocks(readme: string): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const match of readme.matchAll(/```yaml\n(# change: ([a-z0-9-]+)\n[\s\S]*?)```/g)) {
    if (blocks.has(match[2]!)) throw new Error(`change ${match[2]} is defined twice`);
    blocks.set(match[2]!, match[1]!);
  }
  return blocks;
}

/** Parses the README's change table. Throws when it is missing or malformed, naming the line. */
export function readChangeTable(readme: string): ChangeRow[] {
  const lines = readme.split('\n');
  const start = lines.findIndex((line) => line.trim().startsWith('|') && cells(line).join('|') === CHANGE_HEADER.join('|'));
  if (start < 0) throw new Error(`expected a table with the header | ${CHANGE_HEADER.join(' | ')} |; found none`);
  const blocks = changeBlocks(readme);
  const rows: ChangeRow[] = [];
  for (let i = start + 2; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.trim().startsWith('|')) break;
    const row = cells(line);
    if (row.length !== CHANGE_HEADER.length) throw new Error(`line ${i + 1}: expected ${CHANGE_HEADER.length} cells; found ${row.length}`);
    const [as, operation, object, change, expected] = row as [string, string, string, string, string];
    if (operation !== 'create' && operation !== 'update' && operation !== 'delete') throw new Error(`line ${i + 1}: operation: expected create, update or delete; found ${operation}`);
    if ((operation === 'delete') !== (change === '')) throw new Error(`line ${i + 1}: change: expected ${operation === 'delete' ? 'none for a delete' : 'the id of a # change: block'}; found ${JSON.stringify(change)}`);
    const yaml = change === '' ? undefined : blocks.get(change);
    if (change !== '' && yaml === undefined) throw new Error(`line ${i + 1}: change ${change}: no YAML block starting with # change: ${change}`);
    const manifest = yaml === undefined ? undefined : (parse(yaml) as Record<string, unknown>);
    if (manifest) {
      const metadata = manifest.metadata as { name?: string; namespace?: string };
      const key = metadata.namespace ? `${manifest.kind}/${metadata.namespace}/${metadata.name}` : `${manifest.kind}/${metadata.name}`;
      if (key !== object) throw new Error(`line ${i + 1}: change ${change} is ${key}; the row names ${object}`);
    }
    rows.push({ line: i + 1, as, operation, object, manifest, yaml, expected: expected === 'allowed' ? [] : expected.split(',').map((r) => r.trim()) });
  }
  return rows;
}
