/**
 * What every `charter` command starts from: manifests loaded, the catalog, and an engine at the evaluation time.
 */
import { loadCatalog } from '../catalog/load-catalog.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { Engine, type EngineOptions } from '../engine/engine.ts';
import { loadManifests, ManifestPathError, type LoadedManifests } from '../model/load-manifests.ts';
import { parseTimestamp, TIMESTAMP_EXPECTED } from '../api/timestamp.ts';
import { parseEntity, type EntityRef } from '../engine/entities.ts';
import type { Output } from './output.ts';

export interface WorkspaceOptions {
  catalog?: string;
  at?: string;
  adminRights?: EngineOptions['adminRights'];
}

export interface Workspace extends LoadedManifests {
  catalog: Catalog;
  engine: Engine;
  now: number;
}

/** Error for bad command-line input or unreadable manifests: exit status 2. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** `--at`: the same parser as `expiresAt` (a time zone is required: the answer must not depend on the machine's). */
export function parseTime(text: string | undefined): number {
  if (text === undefined) return Date.now();
  const ms = parseTimestamp(text);
  if (ms === undefined) throw new InputError(`--at: expected ${TIMESTAMP_EXPECTED}; found ${JSON.stringify(text)}`);
  return ms;
}

/**
 * Loads the manifests and builds the engine; problems are returned, not thrown (the caller decides the exit).
 * `progress` shows how far it got on a terminal (Output.progress).
 */
export function openWorkspace(paths: readonly string[], options: WorkspaceOptions, progress?: (text: string) => void): Workspace {
  const now = parseTime(options.at);
  const catalog = loadCatalog(options.catalog);
  let loaded: LoadedManifests;
  try {
    loaded = loadManifests(paths, progress && ((done, total) => progress(`reading manifests: ${done}/${total} files`)));
  } catch (error) {
    if (error instanceof ManifestPathError) throw new InputError(error.message);
    throw error;
  }
  progress?.(`computing rights: ${loaded.sources.size} objects`);
  const engine = new Engine(loaded.model, catalog, { adminRights: options.adminRights ?? 'default' }, now);
  progress?.('');
  return { ...loaded, catalog, engine, now };
}

/** `file: Kind/name: message` lines for load problems. */
export function problemLines(workspace: Pick<LoadedManifests, 'problems'>): string[] {
  return workspace.problems.map((p) => `${p.file}: ${p.object}: ${p.message}`);
}

/**
 * For commands that ask about one (user, entity): the workspace and the parsed entity, or undefined after
 * printing the manifests' problems (exit status 2).
 */
export function openForQuestion(paths: readonly string[], options: WorkspaceOptions & { on: string }, out: Output): { workspace: Workspace; entity: EntityRef } | undefined {
  const workspace = openWorkspace(paths, options, out.progress?.bind(out));
  const problems = problemLines(workspace);
  if (problems.length > 0) {
    for (const line of problems) out.err(line);
    return undefined;
  }
  try {
    return { workspace, entity: parseEntity(options.on, workspace.catalog) };
  } catch (error) {
    throw new InputError(`--on: ${(error as Error).message}`);
  }
}
