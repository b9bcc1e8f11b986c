/**
 * The chart tests' harness (helm-template.support.ts) against the real helm: the default values render the chart's
 * objects and its NOTES.txt, a --set reaches the templates, and a value values.schema.json refuses fails the render.
 */
import { describe, expect, test } from '@jest/globals';
import { findHelm, helmTemplate, only } from './helm-template.support.ts';

const helm = await findHelm();
const maybe = helm ? describe : describe.skip;

maybe('helm template of charts/charter (the chart tests harness)', () => {
  test('the default values render the operator Deployment, the webhook and the notes', () => {
    const r = helmTemplate(helm!);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(only(r.objects, 'Deployment').metadata.namespace).toBe('charter-system');
    expect(only(r.objects, 'ValidatingWebhookConfiguration').metadata.name).toBe('charter-charter-system');
    expect(r.notes).toMatch(/^Charter \S+ is installed as charter in namespace charter-system/);
    expect(r.notes).not.toContain('# Source:');
  });

  test('--set reaches the templates and the notes', () => {
    const r = helmTemplate(helm!, { set: ['webhook.enabled=false'], releaseName: 'acl', namespace: 'team-a' });
    expect(r.status).toBe(0);
    expect(r.objects.filter((o) => o.kind === 'ValidatingWebhookConfiguration')).toEqual([]);
    expect(r.notes).toContain('in namespace team-a');
    expect(r.notes).not.toContain('Admission webhook:');
  });

  test('a value values.schema.json refuses fails the render, naming the value', () => {
    const r = helmTemplate(helm!, { setString: ['heapLimitMiB=lots'] });
    expect(r.status).not.toBe(0);
    expect(r.objects).toEqual([]);
    expect(r.stderr).toContain('heapLimitMiB');
  });
});
