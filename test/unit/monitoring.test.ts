/**
 * The chart's alerts (charts/charter/files/prometheus-rules.yaml) and Grafana dashboard
 * (charts/charter/files/grafana-dashboard.json):
 *
 * - `promtool check rules` accepts the rules, and `promtool test rules test/monitoring/prometheus-rules.test.yaml`
 *   passes, with a case where each alert fires (promtool: Debian's `prometheus` package; .ci/run installs it);
 * - every metric they name exists in the operator's /metrics (src/controller/metrics.ts), with the labels and label
 *   values they match on. The admission webhook's two metrics are in the operator's registry too (every replica
 *   serves the webhook); ADMISSION_METRICS keeps the names and labels agreed with it.
 */
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { parse } from 'yaml';
import { createMetrics, initQueueMetrics, initWatchMetrics } from '../../src/controller/metrics.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const RULES = join(root, 'charts/charter/files/prometheus-rules.yaml');
const RULE_TESTS = join(root, 'test/monitoring/prometheus-rules.test.yaml');
const DASHBOARD = join(root, 'charts/charter/files/grafana-dashboard.json');

/** The admission webhook's metrics, by the names and labels agreed with it (it serves them, not the operator). */
const ADMISSION_METRICS: Record<string, string[]> = {
  charter_admission_requests_total: ['kind', 'operation', 'verdict', 'reason'],
  charter_admission_duration_seconds: [],
};
/** Labels Prometheus adds to every scraped series (the ServiceMonitor's target labels; a metric's own `namespace` becomes `exported_namespace`). */
const TARGET_LABELS = ['namespace', 'pod', 'service', 'job', 'instance', 'container', 'endpoint', 'exported_namespace', 'le'];

function promtool(...args: string[]): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { cwd: root, encoding: 'utf8', timeout: 60_000 });
  if (run.error && (run.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error("promtool is not installed: install Debian's prometheus package (apt-get install prometheus), as .ci/run does");
  }
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
}
const groups = (parse(readFileSync(RULES, 'utf8')) as { groups: Array<{ name: string; rules: Rule[] }> }).groups;
const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }>; templating: { list: Array<{ definition?: string }> } };

/** The operator's metrics as /metrics shows them once started: every label set it pre-initialises. */
async function operatorSeries(): Promise<Map<string, Array<Record<string, string | number>>>> {
  const registry = new Registry();
  const metrics = createMetrics(registry);
  initQueueMetrics(metrics, 'charter'); // the operator's queue
  initWatchMetrics(metrics, 'User'); // as each informer does
  metrics.permissionMapBytes.set({ namespace: 'acme' }, 1); // set per mapped namespace
  metrics.permissionMapWithheld.set({ namespace: 'big' }, 1); // set per withheld namespace
  const series = new Map<string, Array<Record<string, string | number>>>();
  for (const metric of await registry.getMetricsAsJSON()) {
    series.set(
      metric.name,
      metric.values.map((v) => v.labels as Record<string, string | number>),
    );
  }
  return series;
}

/** Every `charter_*` metric an expression names, with its label matchers and grouping labels. */
function references(expr: string): Array<{ metric: string; matchers: Array<[string, string, string]>; labels: string[] }> {
  const out: Array<{ metric: string; matchers: Array<[string, string, string]>; labels: string[] }> = [];
  const grouping = [...expr.matchAll(/\b(?:by|on|without|ignoring)\s*\(([^)]*)\)/g)].flatMap((m) => m[1]!.split(',').map((s) => s.trim()).filter(Boolean));
  for (const m of expr.matchAll(/\b(charter_[a-zA-Z0-9_]+)(\{([^}]*)\})?/g)) {
    const metric = m[1]!.replace(/_(bucket|sum|count)$/, ''); // a histogram's series
    const matchers = [...(m[3] ?? '').matchAll(/([a-zA-Z_]+)\s*(=~|!=|!~|=)\s*"([^"]*)"/g)].map((x) => [x[1]!, x[2]!, x[3]!] as [string, string, string]);
    out.push({ metric, matchers, labels: grouping });
  }
  return out;
}

const expressions: Array<[string, string]> = [
  ...groups.flatMap((g) => g.rules.map((r) => [`rule ${r.alert ?? r.record}`, r.expr] as [string, string])),
  ...dashboard.panels.flatMap((p) => p.targets.map((t) => [`panel "${p.title}"`, t.expr] as [string, string])),
  ...dashboard.templating.list.filter((v) => v.definition).map((v) => ['dashboard variable', v.definition!] as [string, string]),
];

describe('the chart\'s alerts, checked by promtool', () => {
  test('promtool check rules', () => {
    const run = promtool('check', 'rules', RULES);
    expect(run).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });

  test('promtool test rules: the cases pass', () => {
    const run = promtool('test', 'rules', RULE_TESTS);
    expect(run).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });

  test('every alert has a case in which it fires', () => {
    const cases = (parse(readFileSync(RULE_TESTS, 'utf8')) as { tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts: unknown[] }> }> }).tests;
    const firing = new Set(cases.flatMap((c) => (c.alert_rule_test ?? []).filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)));
    const alerts = groups.flatMap((g) => g.rules.map((r) => r.alert)).filter(Boolean);
    expect(alerts.filter((a) => !firing.has(a!))).toEqual([]);
    expect(alerts.length).toBeGreaterThanOrEqual(10);
  });
});

describe('every metric the alerts and the dashboard name exists', () => {
  test('in the operator\'s /metrics with the labels and values matched on (the webhook\'s: by the agreed names)', async () => {
    const series = await operatorSeries();
    const problems: string[] = [];
    let checked = 0;
    for (const [where, expr] of expressions) {
      for (const ref of references(expr)) {
        checked++;
        const admission = ADMISSION_METRICS[ref.metric];
        const known = series.get(ref.metric);
        if (!known && !admission) {
          problems.push(`${where}: ${ref.metric} is not a metric of the operator or the webhook`);
          continue;
        }
        const labelNames = new Set([...(admission ?? []), ...(known ?? []).flatMap((l) => Object.keys(l)), ...TARGET_LABELS]);
        for (const label of ref.labels) if (!labelNames.has(label)) problems.push(`${where}: ${ref.metric} has no label ${label}`);
        for (const [label, op, value] of ref.matchers) {
          if (!labelNames.has(label)) problems.push(`${where}: ${ref.metric} has no label ${label}`);
          else if (known && op === '=' && !TARGET_LABELS.includes(label) && !known.some((l) => l[label] === value)) {
            problems.push(`${where}: ${ref.metric}{${label}="${value}"}: the operator never exports that value`);
          } else if (known && op === '=~' && !TARGET_LABELS.includes(label)) {
            const re = new RegExp(`^(?:${value})$`);
            if (!known.some((l) => re.test(String(l[label])))) problems.push(`${where}: ${ref.metric}{${label}=~"${value}"} matches no value the operator exports`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(20);
  });

  test('the check itself catches a misspelt metric, label or value', async () => {
    const series = await operatorSeries();
    expect(series.has('charter_reconcile_errors_total')).toBe(true);
    expect(series.has('charter_reconcile_error_total')).toBe(false);
    expect(references('sum by (namespace, kind) (rate(charter_reconcile_errors_total{kind="User"}[5m]))')).toEqual([
      { metric: 'charter_reconcile_errors_total', matchers: [['kind', '=', 'User']], labels: ['namespace', 'kind'] },
    ]);
    expect(references('histogram_quantile(0.99, rate(charter_admission_duration_seconds_bucket[5m]))')[0]!.metric).toBe('charter_admission_duration_seconds');
    expect(references('charter_workqueue_adds_total')[0]!.metric).toBe('charter_workqueue_adds_total');
    expect(series.get('charter_api_writes_total')!.some((l) => l.kind === 'configmap' && l.result === 'error')).toBe(true);
    expect(series.get('charter_api_writes_total')!.some((l) => l.kind === 'configmaps')).toBe(false);
  });
});
