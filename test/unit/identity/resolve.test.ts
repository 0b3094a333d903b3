import { describe, expect, test } from 'vitest';
import { type WorkloadFacts, ownerFromRef, resolveWorkload, workloadFromOwner } from '../../../src/core/identity/resolve.js';

const POD = 'reviews-v1-5b7d8c9f4d-q2wzx';
const ALL = { 'service.istio.io/canonical-name': 'reviews', 'app.kubernetes.io/name': 'reviews-k8s', app: 'reviews-app' };

describe('one precedence for every source', () => {
  test.each<{ name: string; facts: WorkloadFacts; expected: ReturnType<typeof resolveWorkload> }>([
    { name: 'canonical name first', facts: { pod: POD, labels: ALL }, expected: { name: 'reviews', by: 'canonical-name', labelled: true } },
    {
      name: 'then app.kubernetes.io/name',
      facts: { pod: POD, labels: { 'app.kubernetes.io/name': 'reviews-k8s', app: 'x' } },
      expected: { name: 'reviews-k8s', by: 'app.kubernetes.io/name', labelled: true },
    },
    { name: 'then app', facts: { pod: POD, labels: { app: 'reviews-app' } }, expected: { name: 'reviews-app', by: 'app', labelled: true } },
    {
      name: 'an empty label does not name',
      facts: { pod: POD, labels: { 'service.istio.io/canonical-name': '', app: 'r' } },
      expected: { name: 'r', by: 'app', labelled: true },
    },
    {
      name: 'labels seen but none names: the owner, still final',
      facts: { pod: POD, labels: { version: 'v1' } },
      expected: { name: 'reviews-v1', by: 'owner', labelled: true },
    },
    {
      name: 'no labels known: a Deployment owner (OTel k8s.deployment.name) is a fallback',
      facts: { pod: POD, owners: [{ kind: 'Deployment', name: 'reviews-v1' }] },
      expected: { name: 'reviews-v1', by: 'owner', labelled: false },
    },
    {
      name: 'a ReplicaSet owner (Vector pod_owner) names its Deployment',
      facts: { pod: POD, owners: [{ kind: 'ReplicaSet', name: 'reviews-v1-5b7d8c9f4d' }] },
      expected: { name: 'reviews-v1', by: 'owner', labelled: false },
    },
    {
      name: 'a CronJob wins over its Job; a scheduled Job names its CronJob',
      facts: {
        pod: 'backup-28001234-x7k2p',
        owners: [
          { kind: 'Job', name: 'backup-28001234' },
          { kind: 'CronJob', name: 'backup' },
        ],
      },
      expected: { name: 'backup', by: 'owner', labelled: false },
    },
    {
      name: 'StatefulSet pod name pattern',
      facts: { pod: 'web-0' },
      expected: { name: 'web', by: 'owner', labelled: false },
    },
    { name: 'DaemonSet pod name pattern', facts: { pod: 'fluentd-abcde' }, expected: { name: 'fluentd', by: 'owner', labelled: false } },
    { name: 'a bare pod keeps its name', facts: { pod: 'debug' }, expected: { name: 'debug', by: 'pod-name', labelled: false } },
    {
      name: 'a label named __proto__ is data, not a workload',
      facts: { pod: 'debug', labels: JSON.parse('{"__proto__":{"app":"x"}}') as Record<string, string> },
      expected: { name: 'debug', by: 'pod-name', labelled: true },
    },
  ])('$name', ({ facts, expected }) => {
    expect(resolveWorkload(facts)).toStrictEqual(expected);
  });

  test.each([
    ['ReplicaSet/reviews-v1-5b7d8c9f4d', { kind: 'ReplicaSet', name: 'reviews-v1-5b7d8c9f4d' }],
    ['StatefulSet/web', { kind: 'StatefulSet', name: 'web' }],
    ['Node/worker-1', undefined],
    ['ReplicaSet/', undefined],
    ['reviews', undefined],
  ])('owner reference %s', (ref, expected) => {
    expect(ownerFromRef(ref)).toStrictEqual(expected);
  });

  test.each([
    ['ReplicaSet', 'reviews-v1-5b7d8c9f4d', 'reviews-v1'],
    ['ReplicaSet', 'reviews-aeiou', 'reviews-aeiou'],
    ['Job', 'backup-28001234', 'backup'],
    ['Job', 'migrate', 'migrate'],
    ['Deployment', 'cart', 'cart'],
  ] as const)('%s %s -> %s', (kind, name, expected) => {
    expect(workloadFromOwner(kind, name)).toBe(expected);
  });
});
