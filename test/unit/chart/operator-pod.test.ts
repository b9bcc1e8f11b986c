/**
 * What keeps the operator's Pods, a Fail-closed webhook, up and their key private: the webhook Secret's files 0440,
 * a default soft podAntiAffinity on the node (hard, or none, on request; an affinity of yours kept, and its own
 * podAntiAffinity replacing the chart's), a memory request near the medium tier's heap, and a priorityClassName.
 */
import { describe, expect, test } from '@jest/globals';
import { findHelm, helmTemplate, only, type Obj, type TemplateOptions } from './helm-template.support.ts';

const helm = await findHelm();
const maybe = helm ? describe : describe.skip;

function podSpec(opts: TemplateOptions = {}): Obj {
  const r = helmTemplate(helm!, opts);
  expect(r.stderr).toBe('');
  return only(r.objects, 'Deployment').spec.template.spec;
}

const selector = { matchLabels: { 'app.kubernetes.io/name': 'charter', 'app.kubernetes.io/instance': 'charter' } };
const term = { topologyKey: 'kubernetes.io/hostname', labelSelector: selector };

maybe("the operator's Pod in charts/charter", () => {
  test('the webhook Secret volume is mode 0440, and the Pod has the fsGroup that makes it readable to the operator', () => {
    const spec = podSpec();
    const volume = spec.volumes.find((v: Obj) => v.name === 'webhook-certificate');
    expect(volume.secret.defaultMode).toBe(0o440);
    expect(spec.securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 });
  });

  test('the replicas prefer different nodes by default', () => {
    expect(podSpec().affinity).toEqual({
      podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term }] },
    });
  });

  test('podAntiAffinity hard requires it, "" leaves it out, an affinity of yours is kept beside it or replaces it', () => {
    expect(podSpec({ set: ['podAntiAffinity=hard'] }).affinity).toEqual({
      podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] },
    });
    expect(podSpec({ set: ['podAntiAffinity='] }).affinity).toBeUndefined();

    const nodeAffinity = { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['system'] }] }] } };
    const both = podSpec({ setJson: [`affinity=${JSON.stringify({ nodeAffinity })}`] }).affinity;
    expect(both.nodeAffinity).toEqual(nodeAffinity);
    expect(both.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);

    const yours = { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: { ...term, topologyKey: 'topology.kubernetes.io/zone' } }] } };
    expect(podSpec({ setJson: [`affinity=${JSON.stringify(yours)}`] }).affinity).toEqual(yours);

    const r = helmTemplate(helm!, { set: ['podAntiAffinity=always'] });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("'/podAntiAffinity'");
  });

  test("the memory request is near the medium tier's heap (~800 MiB), not a quarter of it", () => {
    const resources = podSpec().containers[0].resources;
    expect(resources.requests.memory).toBe('1Gi');
    expect(resources.limits.memory).toBe('2Gi');
  });

  test('priorityClassName reaches the Pod', () => {
    expect(podSpec().priorityClassName).toBeUndefined();
    expect(podSpec({ set: ['priorityClassName=charter-webhook'] }).priorityClassName).toBe('charter-webhook');
  });
});
