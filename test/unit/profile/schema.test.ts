/** The declared profile schema: what a valid profile is, and that every kind of mistake is refused at its field. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ResourceProfileSchema, workloadKey, type ResourceProfile } from '../../../src/core/profile/schema.js';
import { containerResources } from '../../../src/core/profile/resolve.js';

const valid = (): Record<string, unknown> => ({
  apiVersion: 'meshwatch.io/v1',
  kind: 'ResourceProfile',
  metadata: { cluster: 'prod-eu', namespace: 'shop', name: 'checkout' },
  spec: {
    mode: 'enforce',
    containers: [
      {
        name: 'app',
        resources: {
          requests: { cpu: '250m', memory: '256Mi', 'ephemeral-storage': '1Gi' },
          limits: { cpu: 1, memory: '512Mi', 'ephemeral-storage': '2Gi' },
        },
      },
    ],
    traffic: { requestsPerS: 200, egressBytesPerS: 5e6, errorRatio: 0.01 },
    peers: {
      inbound: [
        {
          workload: { namespace: 'shop', name: 'frontend' },
          principal: 'cluster.local/ns/shop/sa/frontend',
          serviceAccount: 'frontend',
          ports: [8080],
          methods: ['GET', 'POST'],
          pathPrefixes: ['/api/checkout'],
        },
      ],
      outbound: [{ workload: { namespace: 'shop', name: 'payments' }, principal: 'spiffe://cluster.local/ns/shop/sa/payments' }],
    },
    sensitivity: { cpu_cores: 'high', error_ratio: 'medium', processes: 'off' },
  },
});

/** Sets `value` at a dotted path (numbers index arrays) in a fresh valid profile. */
function withField(path: string, value: unknown): Record<string, unknown> {
  const doc = valid();
  const parts = path.split('.');
  let node = doc;
  for (const part of parts.slice(0, -1)) node = node[part] as Record<string, unknown>;
  const last = parts[parts.length - 1] ?? '';
  if (value === undefined) delete node[last];
  else node[last] = value;
  return doc;
}

const issuePaths = (doc: unknown): string[] => {
  const result = ResourceProfileSchema.safeParse(doc);
  if (result.success) return [];
  return result.error.issues.map((i) => [...i.path, ...(i.code === 'unrecognized_keys' ? [i.keys.join(',')] : [])].join('.'));
};

describe('ResourceProfileSchema', () => {
  it('accepts a complete profile', () => {
    expect(ResourceProfileSchema.safeParse(valid()).success).toBe(true);
  });

  it.each([
    ['metadata.cluster', undefined],
    ['spec.containers', undefined],
    ['spec.traffic', undefined],
    ['spec.peers', undefined],
    ['spec.sensitivity', undefined],
    ['spec.mode', 'learn'],
    ['spec.containers.0.resources', {}],
    ['spec.containers.0.resources.limits', { memory: '1G' }],
    ['spec.peers.inbound.0.ports', undefined],
    ['spec.traffic', { errorRatio: 1 }],
  ])('accepts %s = %j', (path, value) => {
    expect(issuePaths(withField(path, value))).toEqual([]);
  });

  it.each([
    ['apiVersion', 'meshwatch.io/v2', 'apiVersion'],
    ['kind', 'Deployment', 'kind'],
    ['metadata.namespace', undefined, 'metadata.namespace'],
    ['metadata.name', 'Checkout', 'metadata.name'],
    ['metadata.namespace', 'a'.repeat(64), 'metadata.namespace'],
    ['metadata.labels', { app: 'x' }, 'metadata.labels'],
    ['spec.mode', 'audit', 'spec.mode'],
    ['spec.mode', undefined, 'spec.mode'],
    ['spec.replicas', 3, 'spec.replicas'],
    ['spec.containers.0.resources.limits.cpu', '-1', 'spec.containers.0.resources.limits.cpu'],
    ['spec.containers.0.resources.limits.cpu', -1, 'spec.containers.0.resources.limits.cpu'],
    ['spec.containers.0.resources.limits.memory', '512MB', 'spec.containers.0.resources.limits.memory'],
    ['spec.containers.0.resources.limits.memory', true, 'spec.containers.0.resources.limits.memory'],
    ['spec.containers.0.resources.limits.memory', '1e400', 'spec.containers.0.resources.limits.memory'],
    ['spec.containers.0.resources.limits.gpu', '1', 'spec.containers.0.resources.limits.gpu'],
    ['spec.containers.0.resources.requests.cpu', '2', 'spec.containers.0.resources.requests.cpu'],
    ['spec.containers.0.resources.requests.memory', '1Gi', 'spec.containers.0.resources.requests.memory'],
    ['spec.containers.0.name', 'App_1', 'spec.containers.0.name'],
    ['spec.traffic.requestsPerS', -5, 'spec.traffic.requestsPerS'],
    ['spec.traffic.requestsPerS', '200', 'spec.traffic.requestsPerS'],
    ['spec.traffic.egressBytesPerS', Number.POSITIVE_INFINITY, 'spec.traffic.egressBytesPerS'],
    ['spec.traffic.errorRatio', 1.5, 'spec.traffic.errorRatio'],
    ['spec.traffic.latencyMs', 5, 'spec.traffic.latencyMs'],
    ['spec.peers.inbound.0.ports', [0], 'spec.peers.inbound.0.ports.0'],
    ['spec.peers.inbound.0.ports', [65536], 'spec.peers.inbound.0.ports.0'],
    ['spec.peers.inbound.0.ports', [80.5], 'spec.peers.inbound.0.ports.0'],
    ['spec.peers.inbound.0.methods', ['get'], 'spec.peers.inbound.0.methods.0'],
    ['spec.peers.inbound.0.pathPrefixes', ['api'], 'spec.peers.inbound.0.pathPrefixes.0'],
    ['spec.peers.inbound.0.pathPrefixes', ['/a b'], 'spec.peers.inbound.0.pathPrefixes.0'],
    ['spec.peers.inbound.0.principal', 'frontend', 'spec.peers.inbound.0.principal'],
    ['spec.peers.inbound.0.workload', { name: 'frontend' }, 'spec.peers.inbound.0.workload.namespace'],
    ['spec.peers.sideways', [], 'spec.peers.sideways'],
    ['spec.sensitivity.cpu_cores', 'extreme', 'spec.sensitivity.cpu_cores'],
    ['spec.sensitivity', { cpu: 'high' }, 'spec.sensitivity.cpu'],
  ])('rejects %s = %j at %s', (path, value, issuePath) => {
    expect(issuePaths(withField(path, value))).toContain(issuePath);
  });

  it('rejects two containers with one name', () => {
    const doc = valid();
    const spec = doc.spec as { containers: unknown[] };
    spec.containers.push({ name: 'app', resources: {} });
    expect(issuePaths(doc)).toContain('spec.containers.1.name');
  });

  it('rejects a list, null and a bare string as a profile', () => {
    for (const doc of [[valid()], null, 'ResourceProfile']) expect(ResourceProfileSchema.safeParse(doc).success).toBe(false);
  });
});

describe('resolved amounts', () => {
  it('gives cores and bytes per container', () => {
    const profile = ResourceProfileSchema.parse(valid());
    expect(containerResources(profile)).toEqual([
      {
        name: 'app',
        requests: { cpuCores: 0.25, memoryBytes: 256 * 1024 ** 2, ephemeralStorageBytes: 1024 ** 3 },
        limits: { cpuCores: 1, memoryBytes: 512 * 1024 ** 2, ephemeralStorageBytes: 2 * 1024 ** 3 },
      },
    ]);
  });

  it('leaves out what is not declared', () => {
    const profile: ResourceProfile = ResourceProfileSchema.parse(withField('spec.containers.0.resources', { limits: { memory: '1G' } }));
    expect(containerResources(profile)).toEqual([{ name: 'app', requests: {}, limits: { memoryBytes: 1e9 } }]);
  });

  it('keys a workload by cluster, namespace and name', () => {
    expect(workloadKey({ cluster: 'prod-eu', namespace: 'shop', name: 'checkout' })).toBe('prod-eu:shop/checkout');
    expect(workloadKey({ namespace: 'shop', name: 'checkout' })).toBe('shop/checkout');
  });
});

describe('profile.schema.json', () => {
  const schema = JSON.parse(readFileSync(new URL('../../../schemas/profile.schema.json', import.meta.url), 'utf8')) as {
    properties: Record<string, unknown>;
    required: string[];
    additionalProperties: boolean;
  };

  it('names the top-level fields of a profile and rejects others', () => {
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(ResourceProfileSchema.shape).sort());
    expect(schema.required.sort()).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
    expect(schema.additionalProperties).toBe(false);
  });
});
