/**
 * `charter explain -o dot|mermaid`: the provenance of a user's rights on an entity as a graph — the user, the groups,
 * Collaborations and organizations each path goes through, each right, and the entity. Nodes and edges appear once
 * however many paths share them.
 */
import type { Provenance } from '../engine/evaluate.ts';

export interface ProvenanceGraph {
  nodes: Array<{ id: string; label: string; shape: 'user' | 'object' | 'right' | 'entity' }>;
  edges: Array<{ from: string; to: string; label?: string }>;
}

export function provenanceGraph(user: string, entity: string, paths: ReadonlyMap<string, readonly Provenance[]>): ProvenanceGraph {
  const graph: ProvenanceGraph = { nodes: [], edges: [] };
  const ids = new Map<string, string>();
  const edges = new Set<string>();
  const node = (label: string, shape: ProvenanceGraph['nodes'][number]['shape']): string => {
    let id = ids.get(`${shape}:${label}`);
    if (!id) {
      id = `n${ids.size}`;
      ids.set(`${shape}:${label}`, id);
      graph.nodes.push({ id, label, shape });
    }
    return id;
  };
  const edge = (from: string, to: string, label?: string): void => {
    const key = `${from}>${to}>${label ?? ''}`;
    if (edges.has(key)) return;
    edges.add(key);
    graph.edges.push(label === undefined ? { from, to } : { from, to, label });
  };
  /** user → its own group → … → the granted group, as the chain is written from the granted group down. */
  const throughGroups = (chain: readonly string[] | undefined): string => {
    let at = node(`User/${user}`, 'user');
    for (const g of [...(chain ?? [])].reverse()) {
      const next = node(`UserGroup/${g}`, 'object');
      edge(at, next, 'member of');
      at = next;
    }
    return at;
  };
  const target = node(entity, 'entity');
  for (const [right, list] of paths) {
    const r = node(right, 'right');
    edge(r, target, 'on');
    for (const path of list) {
      switch (path.type) {
        case 'self':
        case 'state':
          edge(node(`User/${user}`, 'user'), r, path.type === 'self' ? 'self' : `state ${path.state}`);
          break;
        case 'admin':
          edge(node(`User/${user}`, 'user'), r, 'admin');
          break;
        case 'direct':
        case 'group': {
          const c = node(`Collaboration/${path.collaboration}`, 'object');
          edge(throughGroups(path.type === 'group' ? path.chain : undefined), c, 'subject of');
          edge(c, r, 'grants');
          break;
        }
        case 'organization': {
          const o = node(`Organization/${path.organization}`, 'object');
          for (const m of path.memberships) {
            const c = node(`Collaboration/${m.collaboration}`, 'object');
            edge(throughGroups(m.chain), c, 'subject of');
            const into = m.organization === path.organization ? o : node(`Organization/${m.organization}`, 'object');
            edge(c, into, 'member of');
            if (into !== o) edge(into, o, 'parent of');
          }
          if (path.grant === 'ownership' || path.grant === 'membership') edge(o, r, path.grant);
          else {
            const g = node(path.grant, 'object');
            edge(o, g, 'subject of');
            edge(g, r, 'grants');
          }
          break;
        }
      }
    }
  }
  return graph;
}

const dotString = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
const DOT_SHAPES = { user: 'ellipse', object: 'box', right: 'note', entity: 'doubleoctagon' } as const;

/** Graphviz DOT. */
export function toDot(graph: ProvenanceGraph, title: string): string {
  const lines = [`digraph provenance {`, `  label=${dotString(title)};`, '  rankdir=LR;'];
  for (const n of graph.nodes) lines.push(`  ${n.id} [label=${dotString(n.label)}, shape=${DOT_SHAPES[n.shape]}];`);
  for (const e of graph.edges) lines.push(`  ${e.from} -> ${e.to}${e.label ? ` [label=${dotString(e.label)}]` : ''};`);
  lines.push('}');
  return lines.join('\n');
}

/** Mermaid text is HTML-ish: quotes become #quot; so that a label never ends early. */
const mermaidText = (s: string): string => s.replace(/"/g, '#quot;').replace(/\|/g, '#124;');
const MERMAID_SHAPES = { user: ['([', '])'], object: ['[', ']'], right: ['[/', '/]'], entity: ['{{', '}}'] } as const;

/** A Mermaid flowchart. */
export function toMermaid(graph: ProvenanceGraph, title: string): string {
  const lines = ['---', `title: ${JSON.stringify(title)}`, '---', 'flowchart LR'];
  for (const n of graph.nodes) {
    const [open, close] = MERMAID_SHAPES[n.shape];
    lines.push(`  ${n.id}${open}"${mermaidText(n.label)}"${close}`);
  }
  for (const e of graph.edges) lines.push(`  ${e.from} -->${e.label ? `|"${mermaidText(e.label)}"|` : ''} ${e.to}`);
  return lines.join('\n');
}
