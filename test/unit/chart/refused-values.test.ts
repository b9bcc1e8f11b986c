/**
 * The values charts/charter refuses, each naming the value: values.schema.json's types, ranges, enums and patterns
 * (the `webhook.*` and `rbac.*` keys all listed), the templates' `fail`s for combinations (among them a memory limit that cannot hold
 * heapLimitMiB + 3 × semiSpaceMiB + 256 MiB), and Chart.yaml's kubeVersion (the
 * webhook's matchConditions need 1.28). And what must still render: the defaults and the values next to a refused one.
 */
import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findHelm, helmTemplate, only, type TemplateOptions, type TemplateResult } from './helm-template.support.ts';

const helm = await findHelm();

/** A values file with the memory limit as a plain number of bytes (helm reads it as a float64, not as --set's int). */
const bytesValues = join(mkdtempSync(join(tmpdir(), 'charter-values-')), 'bytes.yaml');
writeFileSync(bytesValues, 'resources:\n  limits:\n    memory: 2147483648\n');
const maybe = helm ? describe : describe.skip;

/** The render failed, and its message names `value` (dotted, as in a template's `fail`, or as the schema's /a/b path). */
function expectRefused(r: TemplateResult, value: string): void {
  expect(r.status).not.toBe(0);
  expect(r.objects).toEqual([]);
  const pointer = `'/${value.replaceAll('.', '/')}`;
  if (!r.stderr.includes(value) && !r.stderr.includes(pointer)) {
    throw new Error(`helm's message does not name ${value}:\n${r.stderr}`);
  }
}

const refused: [what: string, opts: TemplateOptions, value: string][] = [
  ['a failurePolicy the API server does not know (lower case)', { set: ['webhook.failurePolicy=ignore'] }, 'webhook.failurePolicy'],
  ['a failurePolicy the API server does not know (Open)', { set: ['webhook.failurePolicy=Open'] }, 'webhook.failurePolicy'],
  ['timeoutSeconds over the API maximum of 30', { set: ['webhook.timeoutSeconds=60'] }, 'webhook.timeoutSeconds'],
  ['timeoutSeconds 0', { set: ['webhook.timeoutSeconds=0'] }, 'webhook.timeoutSeconds'],
  ['no permission-map shard', { set: ['permissionMaps.maxShards=0'] }, 'permissionMaps.maxShards'],
  ['a sessionAffinity Services do not have', { set: ['webhook.service.sessionAffinity=Sticky'] }, 'webhook.service.sessionAffinity'],
  ['a caBundle that is not base64', { set: ['webhook.existingSecret=mine', 'webhook.caBundle=notbase64'] }, 'webhook.caBundle'],
  ['a bypass group with a comma (the flag would split it in two)', { set: ['webhook.bypassGroups={system:masters,a\\,b}'] }, 'webhook.bypassGroups'],
  ["a bypass user with a quote (the CEL condition quotes with ')", { set: ["webhook.bypassUsers={o'brien}"] }, 'webhook.bypassUsers'],
  ['a misspelt webhook key', { set: ['webhook.failurePolicyy=Fail'] }, 'webhook'],
  ['a misspelt webhook.certManager key', { set: ['webhook.certManager.enable=true'] }, 'webhook.certManager'],
  ['a webhook URL that is not https', { set: ['webhook.url=http://127.0.0.1:9443/validate'] }, 'webhook.url'],
  ['a cert-manager duration that is not a Go duration', { set: ['webhook.certManager.enabled=true', 'webhook.certManager.duration=90d'] }, 'webhook.certManager.duration'],
  ['a string for a boolean', { setString: ['webhook.skipBypassAtApiServer=yes'] }, 'webhook.skipBypassAtApiServer'],
  ['runAsNonRoot as a string', { setString: ['podSecurityContext.runAsNonRoot=false'] }, 'podSecurityContext.runAsNonRoot'],
  ['a port out of range', { set: ['metrics.port=70000'] }, 'metrics.port'],
  ['a log level the operator refuses', { set: ['logLevel=trace'] }, 'logLevel'],
  ['admin rights the operator refuses', { set: ['adminRights=everything'] }, 'adminRights'],
  ['workers 0', { set: ['workers=0'] }, 'workers'],
  ['a misspelt rbac key', { set: ['rbac.aggregateCollaborationWrites=true'] }, 'rbac'],
  ['a string for rbac.aggregateCollaborationWritesUnenforced', { setString: ['rbac.aggregateCollaborationWritesUnenforced=yes'] }, 'rbac.aggregateCollaborationWritesUnenforced'],
  ['a negative replica count', { set: ['replicas=-1'] }, 'replicas'],
  ['a lease duration of 0 s', { set: ['leaderElection.leaseDuration=0'] }, 'leaderElection.leaseDuration'],
  ['a stall timeout that is not a number', { set: ['stallTimeout=soon'] }, 'stallTimeout'],
  // Combinations (the templates' fails).
  ['a memory limit below the heap limit', { set: ['resources.limits.memory=1Gi'] }, 'resources.limits.memory'],
  ['a memory limit 1 MiB short of heap + 3 semi-spaces + 256 MiB', { set: ['resources.limits.memory=1887Mi'] }, 'resources.limits.memory'],
  ['a memory limit in G short of it', { set: ['resources.limits.memory=1.9G'] }, 'resources.limits.memory'],
  ["a memory limit short of it with V8's own semi-spaces (64 MiB)", { set: ['semiSpaceMiB=0', 'resources.limits.memory=1983Mi'] }, 'resources.limits.memory'],
  ['a heap limit raised alone', { set: ['heapLimitMiB=4096'] }, 'resources.limits.memory'],
  ['a memory limit that is not a quantity', { set: ['resources.limits.memory=lots'] }, 'resources.limits.memory'],
  ['cert-manager with a webhook URL (the Certificate would not name its host)', { set: ['webhook.certManager.enabled=true', 'webhook.url=https://127.0.0.1:9443/validate'] }, 'webhook.url'],
  ['cert-manager with an existing Secret', { set: ['webhook.certManager.enabled=true', 'webhook.existingSecret=mine'] }, 'webhook.existingSecret'],
  ['a caBundle without existingSecret (it would be ignored)', { set: ['webhook.caBundle=QUJD'] }, 'webhook.caBundle'],
  ['no replica with a Fail webhook (every judged write refused)', { set: ['replicas=0'] }, 'replicas'],
  ['the webhook and metrics on one port', { set: ['webhook.port=8080'] }, 'webhook.port'],
  ['a lease duration not over the renew deadline', { set: ['leaderElection.leaseDuration=10'] }, 'leaderElection.leaseDuration'],
  ['a renew deadline not over 1.2 × the retry period', { set: ['leaderElection.retryPeriod=9'] }, 'leaderElection.renewDeadline'],
];

maybe('values charts/charter refuses, naming the value', () => {
  test.each(refused)('%s', (_what, opts, value) => {
    expectRefused(helmTemplate(helm!, opts), value);
  });

  test('Kubernetes before 1.28, where matchConditions (the bypass at the API server) would be dropped silently', () => {
    for (const kubeVersion of ['1.26.0', '1.27.9']) {
      const r = helmTemplate(helm!, { kubeVersion });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('kubeVersion: >=1.28.0-0');
    }
    const at128 = helmTemplate(helm!, { kubeVersion: '1.28.0' });
    expect(at128.stderr).toBe('');
    expect(only(at128.objects, 'ValidatingWebhookConfiguration').webhooks[0].matchConditions).toHaveLength(1);
  });
});

maybe('values next to the refused ones still render', () => {
  test.each<[string, TemplateOptions]>([
    ['the defaults', {}],
    ['a memory limit of exactly heap + 3 semi-spaces + 256 MiB', { set: ['resources.limits.memory=1888Mi'] }],
    ['a memory limit in G', { set: ['resources.limits.memory=2G'] }],
    ['a memory limit in bytes', { set: ['resources.limits.memory=2147483648'] }],
    ['a memory limit in bytes in a values file', { values: [bytesValues] }],
    ["V8's own semi-spaces with room for them", { set: ['semiSpaceMiB=0', 'resources.limits.memory=1984Mi'] }],
    ["docs/deploy.md's large sizing", { set: ['heapLimitMiB=5120', 'resources.limits.memory=6Gi'] }],
    ['no heap limit, a small memory limit', { set: ['heapLimitMiB=0', 'resources.limits.memory=512Mi'] }],
    ['no replica with the webhook off', { set: ['replicas=0', 'webhook.enabled=false'] }],
    ['no replica with failurePolicy Ignore', { set: ['replicas=0', 'webhook.failurePolicy=Ignore'] }],
    ['one port for both with the webhook off', { set: ['webhook.port=8080', 'webhook.enabled=false'] }],
    ['fractional lease seconds through --set (strings)', { set: ['leaderElection.leaseDuration=15.5', 'leaderElection.retryPeriod=0.5'] }],
    ['an https URL with the generated certificate', { set: ['webhook.url=https://127.0.0.1:9443/validate', 'hostNetwork=true'] }],
    ['an existing Secret with its base64 CA', { set: ['webhook.existingSecret=mine', 'webhook.caBundle=LS0tLS1CRUdJTi0=', 'webhook.service.sessionAffinity=None'] }],
    ['a ClusterIssuer of yours', { set: ['webhook.certManager.enabled=true', 'webhook.certManager.issuerRef.name=ca', 'webhook.certManager.issuerRef.kind=ClusterIssuer'] }],
  ])('%s', (_what, opts) => {
    const r = helmTemplate(helm!, opts);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(only(r.objects, 'Deployment').kind).toBe('Deployment');
  });
});
