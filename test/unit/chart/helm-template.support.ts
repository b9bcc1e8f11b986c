/**
 * `helm template` of charts/charter with the real helm (the one scripts/node-build.sh builds and caches), for unit
 * tests of the chart's templates: what a user's values render to, what NOTES.txt prints, and which values helm
 * refuses (values.schema.json, the templates' `fail`s). No cluster is needed; helm runs with its own empty config and
 * cache folders and `--kube-version` (without it this helm build assumes v1.20).
 *
 * When helm is not built yet the chart tests are skipped with a message saying so; where the node tests must run
 * (CHARTER_REQUIRE_NODE=1, as .ci/run sets, or CI) they fail instead.
 *
 *   const helm = await findHelm();
 *   const r = helmTemplate(helm, { set: ['webhook.enabled=false'] });  // r.objects, r.notes, r.status, r.stderr
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { findNodeBinaries, repoRoot } from '../../../src/devcluster/binaries.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = Record<string, any>;

export const chartDir = join(repoRoot, 'charts', 'charter');

/** The Kubernetes version rendered for unless a test says otherwise (the control plane the tests run). */
export const defaultKubeVersion = '1.33.0';

/** Whether a missing helm fails the tests instead of skipping them. */
export const helmRequired = process.env.CHARTER_REQUIRE_NODE === '1' || Boolean(process.env.CI);

/** The cached helm binary, or undefined (with the reason on stderr) when it is not built and not required. */
export async function findHelm(): Promise<string | undefined> {
  try {
    return (await findNodeBinaries({ build: false, progress: 'ignore' })).helm;
  } catch (e) {
    if (helmRequired) throw e;
    process.stderr.write(`CHART TESTS NOT RUN (skipped): no helm binary (${(e as Error).message})\n`);
    return undefined;
  }
}

export interface TemplateOptions {
  /** `--set` arguments, e.g. 'webhook.enabled=false'. */
  set?: string[];
  /** `--set-string` arguments. */
  setString?: string[];
  /** `--set-json` arguments, e.g. 'tolerations=[{"operator":"Exists"}]'. */
  setJson?: string[];
  /** Values files (paths). */
  values?: string[];
  releaseName?: string;
  namespace?: string;
  kubeVersion?: string;
}

export interface TemplateResult {
  status: number;
  stdout: string;
  stderr: string;
  /** Every rendered object (empty when helm failed). */
  objects: Obj[];
  /** NOTES.txt as rendered with the same values and release (empty when helm failed). */
  notes: string;
}

function runHelm(helm: string, home: string, args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(helm, args, {
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: home,
      HELM_CONFIG_HOME: join(home, 'config'),
      HELM_CACHE_HOME: join(home, 'cache'),
      HELM_DATA_HOME: join(home, 'data'),
    },
  });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The kind of the object that carries the rendered NOTES.txt in the test copy of the chart (never a real kind). */
const NOTES_KIND = 'ChartNotesForTests';

/**
 * Renders the chart and its NOTES.txt in one `helm template`, from a copy of the chart where NOTES.txt is the body of
 * a named template that one more template prints as a string field of an object of kind NOTES_KIND (helm template
 * never prints the notes, `helm install --dry-run` needs a cluster, and helm parses every template's output as YAML).
 */
export function helmTemplate(helm: string, opts: TemplateOptions = {}): TemplateResult {
  const home = mkdtempSync(join(tmpdir(), 'charter-helm-'));
  try {
    const chart = join(home, 'charter');
    cpSync(chartDir, chart, { recursive: true });
    const notesPath = join(chart, 'templates', 'NOTES.txt');
    const notesTemplate = readFileSync(notesPath, 'utf8');
    rmSync(notesPath);
    writeFileSync(
      join(chart, 'templates', 'zz-notes-for-tests.yaml'),
      `{{- define "charter.notesForTests" }}${notesTemplate}{{- end }}\n` +
        `kind: ${NOTES_KIND}\nnotes: {{ include "charter.notesForTests" . | toJson }}\n`,
    );
    const args = [
      'template',
      opts.releaseName ?? 'charter',
      chart,
      '--namespace',
      opts.namespace ?? 'charter-system',
      '--kube-version',
      opts.kubeVersion ?? defaultKubeVersion,
      ...(opts.set ?? []).flatMap((s) => ['--set', s]),
      ...(opts.setString ?? []).flatMap((s) => ['--set-string', s]),
      ...(opts.setJson ?? []).flatMap((s) => ['--set-json', s]),
      ...(opts.values ?? []).flatMap((v) => ['--values', v]),
    ];
    const r = runHelm(helm, home, args);
    if (r.status !== 0) return { ...r, objects: [], notes: '' };
    const rendered = parseAllDocuments(r.stdout)
      .map((d) => d.toJS() as Obj | null)
      .filter((o): o is Obj => o !== null && typeof o === 'object' && typeof o.kind === 'string');
    const notes = rendered.find((o) => o.kind === NOTES_KIND);
    if (typeof notes?.notes !== 'string') throw new Error('helm rendered the chart but not its NOTES.txt');
    return { ...r, objects: rendered.filter((o) => o.kind !== NOTES_KIND), notes: notes.notes };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** The one rendered object of this kind whose name ends with `nameSuffix` (fails the test otherwise). */
export function only(objects: Obj[], kind: string, nameSuffix = ''): Obj {
  const found = objects.filter((o) => o.kind === kind && String(o.metadata?.name ?? '').endsWith(nameSuffix));
  if (found.length !== 1) {
    throw new Error(`expected one ${kind} named *${nameSuffix}, rendered ${found.map((o) => o.metadata?.name).join(', ') || 'none'}`);
  }
  return found[0]!;
}
