/**
 * Loads manifests from files and folders (recursively, *.yaml / *.yml, multi-document) into one model.
 * A broken document or object is reported and skipped; everything else is still loaded.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { emptyModel, objectKey, type Model, type ModelObject } from './model.ts';
import { isCharterObject, toModelObject } from './to-model-object.ts';

export interface LoadProblem {
  file: string;
  /** `Kind/name` or `Kind/namespace/name`; `(document N)` when the document itself is unreadable. */
  object: string;
  message: string;
}

export interface LoadedManifests {
  model: Model;
  /** Object key → the file it came from. */
  sources: Map<string, string>;
  problems: LoadProblem[];
}

/** Every *.yaml / *.yml file under the paths, sorted, so that results do not depend on directory order. */
export function manifestFiles(paths: readonly string[]): string[] {
  const files: string[] = [];
  const visit = (path: string, explicit: boolean): void => {
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path).sort()) visit(join(path, entry), false);
    } else if (explicit || /\.ya?ml$/i.test(path)) {
      files.push(path);
    }
  };
  for (const path of paths) visit(path, true);
  return files;
}

/** Adds a converted object to the model; the first definition of a name wins, a duplicate is a problem. */
export function addToModel(model: Model, object: ModelObject): string | undefined {
  switch (object.kind) {
    case 'User':
      if (model.users.has(object.name)) return 'duplicate';
      model.users.set(object.name, object);
      return undefined;
    case 'Organization':
      if (model.organizations.has(object.name)) return 'duplicate';
      model.organizations.set(object.name, object);
      return undefined;
    case 'UserGroup':
      if (model.groups.has(object.name)) return 'duplicate';
      model.groups.set(object.name, object);
      return undefined;
    case 'Collaboration': {
      const key = `${object.namespace}/${object.name}`;
      if (model.collaborations.has(key)) return 'duplicate';
      model.collaborations.set(key, object);
      return undefined;
    }
  }
}

/**
 * Loads every charter.dev object of the paths. Throws only when a path does not exist. `onFile(done, total)` is
 * called before each file (the CLI's progress on large trees).
 */
export function loadManifests(paths: readonly string[], onFile?: (done: number, total: number) => void): LoadedManifests {
  const model = emptyModel();
  const sources = new Map<string, string>();
  const problems: LoadProblem[] = [];
  const files = manifestFiles(paths);
  for (const [done, file] of files.entries()) {
    onFile?.(done, files.length);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      problems.push({ file, object: '(file)', message: `cannot be read: ${(error as Error).message}` });
      continue;
    }
    parseAllDocuments(text).forEach((doc, index) => {
      if (doc.errors.length > 0) {
        problems.push({ file, object: `(document ${index + 1})`, message: `not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}` });
        return;
      }
      const raw = doc.toJS() as unknown;
      if (!isCharterObject(raw)) return;
      const result = toModelObject(raw as Record<string, unknown>);
      if (!result.ok) {
        const object = objectKey(result);
        for (const message of result.problems) problems.push({ file, object, message });
        return;
      }
      const key = objectKey(result.object);
      if (addToModel(model, result.object) === 'duplicate') {
        problems.push({ file, object: key, message: `defined twice: the definition in ${sources.get(key)} is used` });
        return;
      }
      sources.set(key, file);
    });
  }
  return { model, sources, problems };
}
