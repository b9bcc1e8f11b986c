/**
 * A tiny renderer for the chart's simplest templates (the RBAC files), for tests that apply them to the real API
 * server without a helm binary: it knows exactly the template expressions those files use — .Release.X, .Chart.X,
 * .Values.a.b, include of the named templates below, | quote, | nindent N, | indent N, comments — and fails on any
 * other, so those templates stay that simple. It mirrors the named templates of charts/charter/templates/_helpers.tpl.
 *
 *   const objects = renderChartTemplates(['templates/rbac.yaml'], { name: 'charter', namespace: 'charter-system' });
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

export const chartDir = fileURLToPath(new URL('../../../charts/charter', import.meta.url));

export interface RenderContext {
  Release: { Name: string; Namespace: string; Service: string };
  Chart: { Name: string; Version: string; AppVersion: string };
  Values: Obj;
}

const trunc63 = (s: string): string => s.slice(0, 63).replace(/-+$/, '');

/** The named templates of charts/charter/templates/_helpers.tpl that the RBAC files include, in TypeScript. */
const HELPERS: Record<string, (c: RenderContext) => string> = {
  'charter.name': (c) => trunc63(c.Values.nameOverride || c.Chart.Name),
  'charter.fullname': (c) => {
    if (c.Values.fullnameOverride) return trunc63(c.Values.fullnameOverride);
    const name = c.Values.nameOverride || c.Chart.Name;
    return trunc63(c.Release.Name.includes(name) ? c.Release.Name : `${c.Release.Name}-${name}`);
  },
  'charter.chart': (c) => trunc63(`${c.Chart.Name}-${c.Chart.Version}`.replaceAll('+', '_')),
  'charter.selectorLabels': (c) => `app.kubernetes.io/name: ${HELPERS['charter.name']!(c)}\napp.kubernetes.io/instance: ${c.Release.Name}`,
  'charter.labels': (c) =>
    [
      `helm.sh/chart: ${HELPERS['charter.chart']!(c)}`,
      HELPERS['charter.selectorLabels']!(c),
      `app.kubernetes.io/version: ${JSON.stringify(c.Chart.AppVersion)}`,
      'app.kubernetes.io/component: operator',
      `app.kubernetes.io/managed-by: ${c.Release.Service}`,
    ].join('\n'),
  'charter.serviceAccountName': (c) => {
    if (c.Values.serviceAccount.create) return c.Values.serviceAccount.name || HELPERS['charter.fullname']!(c);
    if (!c.Values.serviceAccount.name) throw new Error('serviceAccount.name is required when serviceAccount.create is false');
    return c.Values.serviceAccount.name;
  },
};

function lookup(root: unknown, path: string, expression: string): unknown {
  let value = root;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object' || !(part in value)) throw new Error(`{{ ${expression} }}: no value at .${path}`);
    value = (value as Obj)[part];
  }
  return value;
}

/** One `{{ … }}` action: a value (.Release.X, .Chart.X, .Values.a.b, include "name" .) piped through quote / nindent N / indent N. */
function evaluate(expression: string, c: RenderContext): string {
  const [head, ...pipes] = expression.split('|').map((s) => s.trim());
  let value: unknown;
  const include = /^include "([\w.-]+)" \.$/.exec(head!);
  const field = /^\.((?:Release|Chart|Values)(?:\.\w+)+)$/.exec(head!);
  if (include) {
    const helper = HELPERS[include[1]!];
    if (!helper) throw new Error(`{{ ${expression} }}: the renderer does not know template "${include[1]}"`);
    value = helper(c);
  } else if (field) {
    value = lookup(c, field[1]!, expression);
  } else {
    throw new Error(`{{ ${expression} }}: not an expression this renderer knows; keep the RBAC templates simple`);
  }
  let text = typeof value === 'string' ? value : JSON.stringify(value);
  for (const pipe of pipes) {
    const indent = /^(n?indent) (\d+)$/.exec(pipe);
    if (pipe === 'quote') text = JSON.stringify(text);
    else if (indent) text = (indent[1] === 'nindent' ? '\n' : '') + text.replace(/^/gm, ' '.repeat(Number(indent[2])));
    else throw new Error(`{{ ${expression} }}: unknown function "${pipe}"`);
  }
  return text;
}

/** Renders one template file: actions with Go template whitespace trimming (`{{-`, `-}}`), comments dropped. */
export function renderTemplate(source: string, c: RenderContext): string {
  let out = '';
  let rest = source;
  const action = /\{\{(-?)\s*([\s\S]*?)\s*(-?)\}\}/;
  for (let m = action.exec(rest); m; m = action.exec(rest)) {
    out += rest.slice(0, m.index);
    if (m[1]) out = out.replace(/\s+$/, '');
    const body = m[2]!;
    if (!/^\/\*[\s\S]*\*\/$/.test(body)) out += evaluate(body, c);
    rest = rest.slice(m.index + m[0].length);
    if (m[3]) rest = rest.replace(/^\s+/, '');
  }
  return out + rest;
}

/** Renders chart template files (paths relative to the chart) for a release, with values over values.yaml's defaults. */
export function renderChartTemplates(files: readonly string[], release: { name: string; namespace: string }, values: Obj = {}): Obj[] {
  const chart = parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as Obj;
  const defaults = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as Obj;
  const context: RenderContext = {
    Release: { Name: release.name, Namespace: release.namespace, Service: 'Helm' },
    Chart: { Name: chart.name, Version: chart.version, AppVersion: chart.appVersion },
    Values: { ...defaults, ...values },
  };
  const objects: Obj[] = [];
  for (const file of files) {
    const rendered = renderTemplate(readFileSync(join(chartDir, file), 'utf8'), context);
    for (const doc of parseAllDocuments(rendered)) {
      if (doc.errors.length) throw new Error(`${file}: rendered YAML is invalid: ${doc.errors[0]!.message}\n${rendered}`);
      const obj = doc.toJS() as Obj | null;
      if (obj) objects.push(obj);
    }
  }
  return objects;
}
