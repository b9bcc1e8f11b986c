/**
 * The webhook's serving certificate in cert-manager mode (webhook.certManager.enabled): the standard CA chain —
 * self-signed Issuer → CA Certificate (isCA, long-lived, renewed with its key) → CA Issuer → serving Certificate — with
 * the CA, not the serving certificate, injected as the caBundle, so that the serving certificate's renewals leave the
 * caBundle alone. With an issuerRef of yours the chart makes no issuer and injects the serving Secret's CA.
 */
import { describe, expect, test } from '@jest/globals';
import { findHelm, helmTemplate, only } from './helm-template.support.ts';

const helm = await findHelm();
const maybe = helm ? describe : describe.skip;

maybe('cert-manager mode of the webhook certificate', () => {
  test("the chart's own CA signs the serving certificate, and the caBundle is that CA", () => {
    const r = helmTemplate(helm!, { set: ['webhook.certManager.enabled=true'] });
    expect(r.stderr).toBe('');
    const selfSigned = only(r.objects, 'Issuer', '-webhook-selfsigned');
    expect(selfSigned.spec).toEqual({ selfSigned: {} });

    const ca = only(r.objects, 'Certificate', '-webhook-ca');
    expect(ca.metadata.name).toBe('charter-webhook-ca');
    expect(ca.spec.isCA).toBe(true);
    expect(ca.spec.duration).toBe('87600h');
    expect(ca.spec.privateKey).toEqual({ rotationPolicy: 'Never' });
    expect(ca.spec.issuerRef).toEqual({ name: selfSigned.metadata.name, kind: 'Issuer' });

    const caIssuer = only(r.objects, 'Issuer', '-webhook-ca');
    expect(caIssuer.spec).toEqual({ ca: { secretName: ca.spec.secretName } });

    const serving = only(r.objects, 'Certificate', '-webhook');
    expect(serving.spec.isCA).toBeUndefined();
    expect(serving.spec.issuerRef).toEqual({ name: caIssuer.metadata.name, kind: 'Issuer' });
    expect(serving.spec.secretName).not.toBe(ca.spec.secretName);
    expect(serving.spec.duration).toBe('2160h');

    // cainjector fills the caBundle from the CA's Certificate, not from the serving one.
    const vwc = only(r.objects, 'ValidatingWebhookConfiguration');
    expect(vwc.metadata.annotations['cert-manager.io/inject-ca-from']).toBe(`charter-system/${ca.metadata.name}`);
    expect(vwc.webhooks[0].clientConfig.caBundle).toBeUndefined();
    // The Pods mount the serving Secret.
    const volume = only(r.objects, 'Deployment').spec.template.spec.volumes.find((v: { name: string }) => v.name === 'webhook-certificate');
    expect(volume.secret.secretName).toBe(serving.spec.secretName);
  });

  test('webhook.certManager.caDuration sets the CA’s lifetime', () => {
    const r = helmTemplate(helm!, { set: ['webhook.certManager.enabled=true', 'webhook.certManager.caDuration=43800h'] });
    expect(r.stderr).toBe('');
    expect(only(r.objects, 'Certificate', '-webhook-ca').spec.duration).toBe('43800h');
  });

  test('an issuerRef of yours: no issuer or CA from the chart, the serving Secret’s CA injected', () => {
    const r = helmTemplate(helm!, { set: ['webhook.certManager.enabled=true', 'webhook.certManager.issuerRef.name=corp-ca', 'webhook.certManager.issuerRef.kind=ClusterIssuer'] });
    expect(r.stderr).toBe('');
    expect(r.objects.filter((o) => o.kind === 'Issuer')).toEqual([]);
    const certificates = r.objects.filter((o) => o.kind === 'Certificate');
    expect(certificates.map((c) => c.metadata.name)).toEqual(['charter-webhook']);
    expect(certificates[0]!.spec.issuerRef).toEqual({ name: 'corp-ca', kind: 'ClusterIssuer' });
    expect(only(r.objects, 'ValidatingWebhookConfiguration').metadata.annotations['cert-manager.io/inject-ca-from']).toBe('charter-system/charter-webhook');
  });
});
