/**
 * The chart's opt-in NetworkPolicy (networkPolicy.*): absent by default; when enabled, the webhook port only from the
 * given peers (the API server's addresses) and the metrics port only from the monitoring peers, ingress only; refused
 * without webhook peers (every call would be dropped) and with hostNetwork (policies do not apply there).
 */
import { describe, expect, test } from '@jest/globals';
import { findHelm, helmTemplate, only } from './helm-template.support.ts';

const helm = await findHelm();
const maybe = helm ? describe : describe.skip;

const apiServer = [{ ipBlock: { cidr: '10.0.0.0/28' } }];
const monitoring = [
  { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } },
];
const enabled = (...more: string[]): string[] => [
  'networkPolicy.enabled=true',
  `networkPolicy.webhookFrom=${JSON.stringify(apiServer)}`,
  ...more,
];

maybe('the NetworkPolicy of charts/charter', () => {
  test('none by default', () => {
    const r = helmTemplate(helm!);
    expect(r.status).toBe(0);
    expect(r.objects.filter((o) => o.kind === 'NetworkPolicy')).toEqual([]);
  });

  test('enabled: the webhook port from the API server, the metrics port from monitoring, nothing else in', () => {
    const r = helmTemplate(helm!, { setJson: enabled(`networkPolicy.metricsFrom=${JSON.stringify(monitoring)}`) });
    expect(r.stderr).toBe('');
    const policy = only(r.objects, 'NetworkPolicy');
    expect(policy.metadata.namespace).toBe('charter-system');
    // The operator's Pods, by the Deployment's own selector.
    expect(policy.spec.podSelector).toEqual(only(r.objects, 'Deployment').spec.selector);
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    expect(policy.spec.ingress).toEqual([
      { ports: [{ port: 9443, protocol: 'TCP' }], from: apiServer },
      { ports: [{ port: 8080, protocol: 'TCP' }], from: monitoring },
    ]);
  });

  test('the Pod ports as set, no metrics rule without metrics peers, no webhook rule with the webhook off', () => {
    const ports = helmTemplate(helm!, { set: ['webhook.port=10443', 'metrics.port=9090'], setJson: enabled() });
    expect(ports.stderr).toBe('');
    expect(only(ports.objects, 'NetworkPolicy').spec.ingress).toEqual([{ ports: [{ port: 10443, protocol: 'TCP' }], from: apiServer }]);

    const off = helmTemplate(helm!, { set: ['webhook.enabled=false', 'networkPolicy.enabled=true'], setJson: [`networkPolicy.metricsFrom=${JSON.stringify(monitoring)}`] });
    expect(off.stderr).toBe('');
    expect(only(off.objects, 'NetworkPolicy').spec.ingress).toEqual([{ ports: [{ port: 8080, protocol: 'TCP' }], from: monitoring }]);
  });

  test('refused, naming the value: no webhook peers, hostNetwork, a peer of an unknown shape', () => {
    const noPeers = helmTemplate(helm!, { set: ['networkPolicy.enabled=true'] });
    expect(noPeers.status).not.toBe(0);
    expect(noPeers.stderr).toContain('networkPolicy.webhookFrom');

    const hostNetwork = helmTemplate(helm!, { set: ['hostNetwork=true'], setJson: enabled() });
    expect(hostNetwork.status).not.toBe(0);
    expect(hostNetwork.stderr).toContain('networkPolicy.enabled with hostNetwork');

    const typo = helmTemplate(helm!, { setJson: ['networkPolicy.enabled=true', 'networkPolicy.webhookFrom=[{"ipblock":{"cidr":"10.0.0.0/28"}}]'] });
    expect(typo.status).not.toBe(0);
    expect(typo.stderr).toContain('/networkPolicy/webhookFrom/0');
  });
});
