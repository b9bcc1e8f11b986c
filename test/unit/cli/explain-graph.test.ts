/**
 * `charter explain -o json|dot|mermaid`: the JSON carries each path's key (the access tests' form); the graphs are
 * well-formed — every Mermaid and DOT line parses, every edge joins declared nodes, every right leads to the entity
 * and is reached from the user — and Graphviz's own `dot -Tsvg` accepts the DOT (where graphviz is installed; CI
 * installs it in .ci/run, and there its absence fails the test).
 */
import { describe, expect, test } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { charter } from './support.ts';

const CASES: Array<[string, string, string[]]> = [
  ['examples/aspera', 'dan', ['--catalog', 'catalogs/aspera.yaml', '--on', 'Share/media/dailies']],
  ['examples/aspera', 'olga', ['--catalog', 'catalogs/aspera.yaml', '--on', 'Share/media-promo/teaser']],
  ['examples/aspera', 'sysop', ['--catalog', 'catalogs/aspera.yaml', '--on', 'User/zoe']],
  ['examples/the-things-stack', 'bob', ['--on', 'Application/acme/app1']],
];

interface Parsed {
  nodes: Map<string, string>;
  edges: Array<[string, string, string | undefined]>;
}

function parseMermaid(text: string): Parsed {
  const lines = text.split('\n');
  expect(lines.slice(0, 4)).toEqual(['---', expect.stringMatching(/^title: ".*"$/), '---', 'flowchart LR']);
  const parsed: Parsed = { nodes: new Map(), edges: [] };
  for (const line of lines.slice(4)) {
    const node = /^ {2}(n\d+)(\(\[|\[\/|\[|\{\{)"([^"]*)"(\]\)|\/\]|\]|\}\})$/.exec(line);
    const edge = /^ {2}(n\d+) -->(?:\|"([^"]*)"\|)? (n\d+)$/.exec(line);
    if (node) {
      expect({ line, close: node[4] }).toEqual({ line, close: { '([': '])', '[/': '/]', '[': ']', '{{': '}}' }[node[2]!] });
      parsed.nodes.set(node[1]!, node[3]!);
    } else if (edge) parsed.edges.push([edge[1]!, edge[3]!, edge[2]]);
    else throw new Error(`not a Mermaid node or edge line: ${JSON.stringify(line)}`);
  }
  return parsed;
}

function parseDot(text: string): Parsed {
  const lines = text.split('\n');
  expect(lines[0]).toBe('digraph provenance {');
  expect(lines.at(-1)).toBe('}');
  const parsed: Parsed = { nodes: new Map(), edges: [] };
  const str = '"((?:[^"\\\\]|\\\\.)*)"';
  for (const line of lines.slice(1, -1)) {
    const node = new RegExp(`^ {2}(n\\d+) \\[label=${str}, shape=(ellipse|box|note|doubleoctagon)\\];$`).exec(line);
    const edge = new RegExp(`^ {2}(n\\d+) -> (n\\d+)(?: \\[label=${str}\\])?;$`).exec(line);
    if (node) parsed.nodes.set(node[1]!, node[2]!);
    else if (edge) parsed.edges.push([edge[1]!, edge[2]!, edge[3]]);
    else if (!/^ {2}(label=".*"|rankdir=LR);$/.test(line)) throw new Error(`not a DOT statement this writer makes: ${JSON.stringify(line)}`);
  }
  return parsed;
}

/** Every edge joins declared nodes; each right has an edge to the entity and is reachable from the user. */
function checkShape(graph: Parsed, user: string, entity: string, rights: string[]): void {
  for (const [from, to] of graph.edges) expect([graph.nodes.has(from), graph.nodes.has(to)]).toEqual([true, true]);
  const id = (label: string): string => [...graph.nodes].find(([, l]) => l === label)?.[0] ?? `(no node ${label})`;
  const reachable = new Set([id(`User/${user}`)]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [from, to] of graph.edges) if (reachable.has(from) && !reachable.has(to)) grew = Boolean(reachable.add(to));
  }
  for (const right of rights) {
    expect({ right, on: graph.edges.some(([f, t, l]) => f === id(right) && t === id(entity) && l === 'on') }).toEqual({ right, on: true });
    expect({ right, reachable: reachable.has(id(right)) }).toEqual({ right, reachable: true });
  }
}

const hasDot = spawnSync('dot', ['-V']).status === 0;

describe.each(CASES)('charter explain %s --user %s', (path, user, args) => {
  const entity = args[args.indexOf('--on') + 1]!;
  test('json: every right with its paths, each with its key', async () => {
    const run = await charter('explain', path, '--user', user, ...args, '-o', 'json');
    const doc = JSON.parse(run.stdout.join('\n')) as { user: string; entity: string; rights: Record<string, Array<{ key: string; type: string }>> };
    expect(doc).toMatchObject({ user, entity });
    const rights = await charter('can', path, '--user', user, ...args, '-o', 'json');
    expect(Object.keys(doc.rights)).toEqual(JSON.parse(rights.stdout.join('')));
    for (const paths of Object.values(doc.rights)) for (const p of paths) expect(p.key.startsWith(p.type === 'state' ? 'state ' : p.type)).toBe(true);
  });
  test('mermaid and dot: well-formed, every right reached from the user and pointing at the entity', async () => {
    const rights = JSON.parse((await charter('can', path, '--user', user, ...args, '-o', 'json')).stdout.join('')) as string[];
    expect(rights.length).toBeGreaterThan(0);
    const mermaid = await charter('explain', path, '--user', user, ...args, '-o', 'mermaid');
    checkShape(parseMermaid(mermaid.stdout.join('\n')), user, entity, rights);
    const dot = (await charter('explain', path, '--user', user, ...args, '-o', 'dot')).stdout.join('\n');
    checkShape(parseDot(dot), user, entity, rights);
    if (hasDot || process.env.CI) {
      const svg = execFileSync('dot', ['-Tsvg'], { input: dot, encoding: 'utf8' });
      expect(svg).toContain('<svg');
    }
  });
});

test('labels with quotes stay inside their node', async () => {
  const { provenanceGraph, toDot, toMermaid } = await import('../../../src/cli/explain-graph.ts');
  const graph = provenanceGraph('a"b', 'Application/x/y"|z', new Map([['R', [{ type: 'self', state: 'Approved' }]]]));
  expect(parseMermaid(toMermaid(graph, 'title "quoted"')).nodes.get('n0')).toBe('Application/x/y#quot;#124;z');
  expect(parseDot(toDot(graph, 't')).nodes.get('n2')).toBe('User/a\\"b');
});
