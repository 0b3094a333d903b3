import { describe, expect, test } from 'vitest';
import { peerFromHost, podService, serviceFromSpiffe, stripPort, workloadFromPodName } from '../../../src/core/decode/identity.js';
import { parseTimestampMs } from '../../../src/core/decode/time.js';

describe('workload from pod name', () => {
  test.each([
    ['reviews-v1-5b4d8f7c9-x2x7k', 'reviews-v1'], // Deployment: ReplicaSet hash + pod suffix
    ['productpage-v1-6b746f74dc-9stvs', 'productpage-v1'],
    ['coredns-5d78c9869d-abcde', 'coredns'],
    ['reviews-v1-1234567890-abcde', 'reviews-v1'], // pre-1.8 decimal pod-template-hash
    ['backup-28001234-x7k2p', 'backup'], // CronJob: scheduled-time suffix + pod suffix
    ['web-0', 'web'], // StatefulSet ordinal
    ['kafka-broker-12', 'kafka-broker'],
    ['fluentd-abcde', 'fluentd'], // DaemonSet / Job
    ['node-exporter-x7k2p', 'node-exporter'], // "exporter" has vowels: a name, not a hash
    ['kube-apiserver-master', 'kube-apiserver-master'], // static pod: nothing to strip
    ['standalone', 'standalone'],
  ])('%s -> %s', (pod, workload) => {
    expect(workloadFromPodName(pod)).toBe(workload);
  });
});

describe('pod service', () => {
  const pod = 'reviews-v1-5b4d8f7c9-x2x7k';
  test.each([
    [{ 'service.istio.io/canonical-name': 'reviews', 'app.kubernetes.io/name': 'x', app: 'y' }, undefined, 'reviews'],
    [{ 'app.kubernetes.io/name': 'reviews-k8s', app: 'y' }, undefined, 'reviews-k8s'],
    [{ app: 'reviews-app', version: 'v1' }, undefined, 'reviews-app'],
    [{ app: '' }, 'reviews-deploy', 'reviews-deploy'], // empty label ignored; shipper-resolved workload next
    [undefined, undefined, 'reviews-v1'],
  ])('labels %j, workload %s -> %s', (labels, workload, name) => {
    expect(podService({ namespace: 'bookinfo', pod, labels, workload }, undefined)).toStrictEqual({ namespace: 'bookinfo', name });
  });
});

describe('hosts and identities', () => {
  test.each([
    ['reviews.default.svc.cluster.local', { namespace: 'default', name: 'reviews' }],
    ['reviews.default.svc.cluster.local:9080', { namespace: 'default', name: 'reviews' }],
    ['Reviews.Default.SVC', { namespace: 'default', name: 'reviews' }],
    ['api.stripe.com', { namespace: 'external', name: 'api.stripe.com' }],
    ['reviews:9080', { namespace: 'external', name: 'reviews' }],
    ['10.0.0.1:443', { namespace: 'external', name: '10.0.0.1' }],
    ['[2001:db8::1]:443', { namespace: 'external', name: '2001:db8::1' }],
    ['', undefined],
  ])('peer %s', (host, peer) => {
    expect(peerFromHost(host)).toStrictEqual(peer);
  });

  test.each([
    ['spiffe://cluster.local/ns/shop/sa/frontend', { namespace: 'shop', name: 'frontend' }],
    ['spiffe://td/ns/a/sa/b, spiffe://td/ns/c/sa/d', { namespace: 'a', name: 'b' }],
    ['spiffe://cluster.local/ns/shop', undefined],
    ['https://example.org', undefined],
  ])('spiffe %s', (san, id) => {
    expect(serviceFromSpiffe(san)).toStrictEqual(id);
  });

  test.each([
    ['host:80', 'host'],
    ['2001:db8::1', '2001:db8::1'],
    ['[::1]:8080', '::1'],
    ['plain', 'plain'],
  ])('stripPort %s', (hp, host) => {
    expect(stripPort(hp)).toBe(host);
  });
});

describe('timestamps', () => {
  test.each([
    ['2025-03-14T08:26:50.98123Z', '2025-03-14T08:26:50.981Z'], // Go trims trailing zeros
    ['2025-03-14T08:26:50.123456789Z', '2025-03-14T08:26:50.123Z'], // ns truncated, not rounded
    ['2025-03-14T08:26:50.9999999Z', '2025-03-14T08:26:50.999Z'],
    ['2025-03-14T09:26:51.10437781+01:00', '2025-03-14T08:26:51.104Z'],
    ['2025-03-13T22:56:51.5-09:30', '2025-03-14T08:26:51.500Z'],
    ['2025-03-14T08:26:50Z', '2025-03-14T08:26:50.000Z'],
    ['2025-03-14 08:26:50', '2025-03-14T08:26:50.000Z'], // NAB: no zone = UTC
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['2025-03-14T09:26:50.5+0100', '2025-03-14T08:26:50.500Z'],
    ['2025-03-14T09:26+01', '2025-03-14T08:26:00.000Z'],
    ['2025-03-14t08:26:50,25z', '2025-03-14T08:26:50.250Z'],
  ])('%s', (text, iso) => {
    expect(parseTimestampMs(text)).toBe(Date.parse(iso));
  });

  test.each([
    '',
    '2025-03-14',
    '2023-02-29T00:00:00Z',
    '2025-03-14T24:00:00Z',
    '2025-03-14T08:26:50+25:00',
    '0001-01-01T00:00:00Z',
    '1969-12-31T23:59:59Z',
    'Fri, 14 Mar 2025 08:26:50 GMT',
    '2025-03-14T08:26:50.Z',
    '2025-03-14T08:26:50+01:',
    '2025-03-14T08:26:50+1',
    '2025-03-14T08:26:50Zjunk',
    '2025-03-14T08:26:5',
    '2000-01-01T00:00:00 ',
  ])('rejects %j', (text) => {
    expect(parseTimestampMs(text)).toBeUndefined();
  });
});
