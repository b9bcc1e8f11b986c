/**
 * `node bench/hotspots.ts <file.cpuprofile> [count]`: the functions with the most self time and the most inclusive
 * time, as `function file:line`, so that a profile can be read (and quoted) without DevTools.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
  /** Samples per source line (1-based) within the function. */
  positionTicks?: Array<{ line: number; ticks: number }>;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, countText] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/hotspots.ts <file.cpuprofile> [count]');
  process.exit(2);
}
const count = Number(countText ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const sampled = new Map<number, number>();
profile.samples.forEach((id, i) => sampled.set(id, (sampled.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...sampled.values()].reduce((a, b) => a + b, 0);
const root = process.cwd().replace(/\/?$/, '/');
const where = (n: ProfileNode): string => {
  const url = n.callFrame.url.replace(/^file:\/\//, '').replace(root, '');
  return `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`;
};
const self = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const [id, time] of sampled) {
  const node = byId.get(id)!;
  self.set(where(node), (self.get(where(node)) ?? 0) + time);
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const key = where(byId.get(at)!);
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + time);
  }
}
const print = (title: string, table: Map<string, number>): void => {
  console.log(title);
  for (const [key, time] of [...table].sort((a, b) => b[1] - a[1]).slice(0, count)) {
    console.log(`${(time / 1000).toFixed(0).padStart(9)} ms ${((100 * time) / total).toFixed(1).padStart(5)} %  ${key}`);
  }
};
// Self time per source line, from the line ticks V8 records (share of a node's samples, scaled to its time).
const lines = new Map<string, number>();
for (const [id, time] of sampled) {
  const node = byId.get(id)!;
  const ticks = node.positionTicks ?? [];
  const all = ticks.reduce((a, t) => a + t.ticks, 0);
  const url = node.callFrame.url.replace(/^file:\/\//, '').replace(root, '');
  for (const t of ticks) {
    const key = `${url}:${t.line} (${node.callFrame.functionName || '(anonymous)'})`;
    lines.set(key, (lines.get(key) ?? 0) + (time * t.ticks) / all);
  }
}
console.log(`${file}: ${(total / 1000).toFixed(0)} ms sampled`);
print('self time:', self);
print('inclusive time:', inclusive);
print('self time by line:', lines);
