/** `charter render`: writes what the operator would write to a cluster — each object's status and every ConfigMap. */
import { join } from 'node:path';
import { stringify } from 'yaml';
import { API_GROUP_VERSION } from '../api/kinds.ts';
import { withTransitionTimes } from '../engine/conditions.ts';
import { allObjectKeys, statusOf } from '../engine/status.ts';
import type { Engine } from '../engine/engine.ts';
import { parseObjectKey } from '../model/model.ts';
import { buildPermissionMaps } from '../permission-map/build-maps.ts';
import { shardMap } from '../permission-map/shard.ts';
import type { Output } from './output.ts';
import { outputFolder } from './output-folder.ts';
import { openWorkspace, problemLines, type WorkspaceOptions } from './workspace.ts';

export interface RenderOptions extends WorkspaceOptions {
  out: string;
}

export interface RenderedObject {
  path: string;
  /** A Kubernetes object, written as YAML. */
  object: object;
}

/** The status objects the operator would write, with conditions stamped at the evaluation time. */
export function renderStatuses(engine: Engine): RenderedObject[] {
  const now = new Date(engine.now).toISOString();
  return allObjectKeys(engine).flatMap((key) => {
    const object = parseObjectKey(key);
    const status = statusOf(engine, key);
    if (!object || !status) return [];
    const { kind, namespace, name } = object;
    const metadata = namespace === undefined ? { name } : { name, namespace };
    return [
      {
        path: join('status', kind, ...(namespace === undefined ? [`${name}.yaml`] : [namespace, `${name}.yaml`])),
        object: { apiVersion: API_GROUP_VERSION, kind, metadata, status: { ...status, conditions: withTransitionTimes(undefined, status.conditions, now) } },
      },
    ];
  });
}

export function runRender(paths: string[], options: RenderOptions, out: Output): number {
  const workspace = openWorkspace(paths, options, out.progress?.bind(out));
  const problems = problemLines(workspace);
  for (const line of problems) out.err(line);
  const rendered = renderStatuses(workspace.engine);
  for (const [namespace, map] of buildPermissionMaps(workspace.engine)) {
    for (const cm of shardMap(map).configMaps) rendered.push({ path: join('configmaps', namespace, `${cm.metadata.name}.yaml`), object: cm });
  }
  const folder = outputFolder(options.out);
  folder.clear('status');
  folder.clear('configmaps');
  for (const [i, item] of rendered.entries()) {
    out.progress?.(`writing ${i}/${rendered.length} files`);
    folder.write(item.path, stringify(item.object, { lineWidth: 0 }));
  }
  out.err(`wrote ${rendered.length} files to ${options.out}${problems.length ? ` (${problems.length} objects skipped: invalid)` : ''}`);
  return problems.length > 0 ? 2 : 0;
}
