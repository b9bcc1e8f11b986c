/**
 * Reads a catalog file (YAML), validates it against catalog.schema.json and compiles it.
 * Without a file: the built-in default catalog, The Things Stack's.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { createAjv } from '../api/ajv.ts';
import { readManifestText } from '../model/load-manifests.ts';
import { describeSchemaErrors } from '../model/schema-errors.ts';
import type { Catalog as CatalogDocument } from './catalog.generated.ts';
import { CatalogError, compileCatalog, type Catalog } from './catalog.ts';

const here = dirname(fileURLToPath(import.meta.url));
export const DEFAULT_CATALOG_FILE = join(here, 'default.catalog.yaml');

/** Parses and compiles a catalog document; `source` names it in errors. Throws CatalogError. */
export function catalogFromText(text: string, source: string): Catalog {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw new CatalogError(source, [`not valid YAML: ${(error as Error).message.split('\n')[0]}`]);
  }
  const ajv = createAjv();
  const validate = ajv.compile(JSON.parse(readFileSync(join(here, 'catalog.schema.json'), 'utf8')));
  if (!validate(doc)) throw new CatalogError(source, describeSchemaErrors(validate.errors ?? [], doc));
  return compileCatalog(doc as CatalogDocument, source);
}

const cache = new Map<string, Catalog>();

/** Loads (once per file) the catalog of a file, or the default catalog. */
export function loadCatalog(file?: string): Catalog {
  const path = file ?? DEFAULT_CATALOG_FILE;
  let catalog = cache.get(path);
  if (!catalog) {
    // The manifests' reader: a FIFO (or a device) is refused, never opened for a read that would block forever.
    const read = readManifestText(path);
    if ('problem' in read) throw new CatalogError(path, [read.problem]);
    catalog = catalogFromText(read.text, path);
    cache.set(path, catalog);
  }
  return catalog;
}
