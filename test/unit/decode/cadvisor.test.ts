import { describe, expect, test } from 'vitest';
import { decode } from '../../../src/core/decode/index.js';
import { type ContainerStats } from '../../../src/core/model.js';
import { fixture } from './fixtures.js';

const opts = { hint: 'auto', maxBytes: 1_000_000 } as const;
const utc = (iso: string): number => Date.parse(iso);

const POD = 'reviews-v1-5b4d8f7c9-x2x7k';
const COMPOSE_ID = 'f8c6b4d5c07c9bad3be45f60718293a4b5c6d7e8f90a1b2c3d4e5f6a7b8c9d0e';
const REDIS_ID = '0a9d7c5e6d18dacbe4cf5671829304a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1';

const containers: { file: string; expected: ContainerStats }[] = [
  {
    // containerd app container: no pod labels -> pod name without the ReplicaSet hash; no network (sandbox owns it).
    file: 'containerd-app.json',
    expected: {
      ts: utc('2025-03-14T08:26:50.981Z'),
      service: { namespace: 'bookinfo', name: 'reviews-v1' },
      container: `bookinfo/${POD}/reviews`,
      counters: { cpu_usage_ns: 9876543210123, cpu_cfs_periods: 120345, cpu_cfs_throttled_periods: 1234 },
      gauges: { memory_working_set_bytes: 268435456 },
      pod: { key: 'bookinfo/reviews-v1-5b4d8f7c9-x2x7k', labelled: false },
    },
  },
  {
    // the sidecar is real usage of the pod's workload; throttled 0 with periods > 0 is a measured zero.
    file: 'containerd-istio-proxy.json',
    expected: {
      ts: utc('2025-03-14T08:26:50.982Z'),
      service: { namespace: 'bookinfo', name: 'reviews-v1' },
      container: `bookinfo/${POD}/istio-proxy`,
      counters: { cpu_usage_ns: 456789012345, cpu_cfs_periods: 98000, cpu_cfs_throttled_periods: 0 },
      gauges: { memory_working_set_bytes: 48234496 },
      pod: { key: 'bookinfo/reviews-v1-5b4d8f7c9-x2x7k', labelled: false },
    },
  },
  {
    // containerd sandbox: pod labels (canonical-name wins), network counters ONLY.
    file: 'containerd-sandbox.json',
    expected: {
      ts: utc('2025-03-14T08:26:51.000Z'),
      service: { namespace: 'bookinfo', name: 'reviews' },
      container: `bookinfo/${POD}/POD`,
      counters: { network_rx_bytes: 1234567890, network_tx_bytes: 987654321 },
      gauges: {},
      pod: { key: 'bookinfo/reviews-v1-5b4d8f7c9-x2x7k', labelled: true },
    },
  },
  {
    // docker pause (io.kubernetes.docker.type=podsandbox) of StatefulSet pod web-0: network summed over interfaces.
    file: 'docker-k8s-sandbox.json',
    expected: {
      ts: utc('2025-03-14T08:26:59.700Z'),
      service: { namespace: 'shop', name: 'web' },
      container: 'shop/web-0/POD',
      counters: { network_rx_bytes: 5_250_000, network_tx_bytes: 7_125_000 },
      gauges: {},
      pod: { key: 'shop/web-0', labelled: true },
    },
  },
  {
    // docker app container in the pod: its (shared-netns) network is NOT counted again; all-zero cfs = no quota.
    file: 'docker-k8s-app.json',
    expected: {
      ts: utc('2025-03-14T08:26:59.700Z'),
      service: { namespace: 'shop', name: 'web' },
      container: 'shop/web-0/nginx',
      counters: { cpu_usage_ns: 88_000_000_000 },
      gauges: { memory_working_set_bytes: 41943040, fs_usage_bytes: 1302528 },
      pod: { key: 'shop/web-0', labelled: false },
    },
  },
  {
    // non-Kubernetes compose container: everything, +02:00 sample time, 2 interfaces, 2 filesystems, processes on.
    file: 'docker-compose.json',
    expected: {
      ts: utc('2025-03-14T08:26:52.500Z'),
      service: { namespace: 'shop', name: 'payments' },
      container: COMPOSE_ID,
      counters: {
        cpu_usage_ns: 720_000_000_000,
        cpu_cfs_periods: 86400,
        cpu_cfs_throttled_periods: 4321,
        network_rx_bytes: 3_000_001_000,
        network_tx_bytes: 1_500_002_000,
      },
      gauges: { memory_working_set_bytes: 402653184, fs_usage_bytes: 3_221_225_472, processes: 7 },
    },
  },
  {
    // plain docker: namespace `docker`, name = container name; cumulative CPU 2^53+1 ns rounds to 2^53.
    file: 'docker-plain.json',
    expected: {
      ts: utc('2025-03-14T08:26:53.123Z'),
      service: { namespace: 'docker', name: 'redis-cache' },
      container: REDIS_ID,
      counters: { cpu_usage_ns: 2 ** 53, network_rx_bytes: 640000, network_tx_bytes: 320000 },
      gauges: { memory_working_set_bytes: 7340032, fs_usage_bytes: 20480 },
    },
  },
  {
    // cAdvisor v0.60.2+ omits uncollected sub-stats; DaemonSet pod fluentd-abcde -> fluentd.
    file: 'crio-daemonset-v060.json',
    expected: {
      ts: utc('2025-03-14T08:26:54.750Z'),
      service: { namespace: 'logging', name: 'fluentd' },
      container: 'logging/fluentd-abcde/fluentd',
      counters: { cpu_usage_ns: 5_550_000_000 },
      gauges: { memory_working_set_bytes: 120_000_000 },
      pod: { key: 'logging/fluentd-abcde', labelled: false },
    },
  },
];

describe('cAdvisor containers', () => {
  test.each(containers)('$file', ({ file, expected }) => {
    expect(decode(fixture(`cadvisor/${file}`), opts)).toStrictEqual({
      ok: true,
      value: { decoder: 'cadvisor', observations: [{ kind: 'container', stats: expected }], ignored: 0 },
    });
  });

  test('the envelope timestamp (send time) is not the event time', () => {
    const msg = JSON.parse(fixture('cadvisor/containerd-app.json')) as { timestamp: string };
    expect(Date.parse(msg.timestamp)).not.toBe(utc('2025-03-14T08:26:50.981Z'));
  });

  test('opts.cluster is stamped on the container service', () => {
    const r = decode(fixture('cadvisor/containerd-sandbox.json'), { ...opts, cluster: 'prod-eu1' });
    expect(r.ok && r.value.observations[0]).toMatchObject({
      stats: { service: { namespace: 'bookinfo', name: 'reviews', cluster: 'prod-eu1' } },
    });
  });
});

describe('aggregate cgroups are ignored, not errors', () => {
  test.each(['root.json', 'kubepods-pod-slice.json', 'cgroupfs-qos-pod.json', 'system-slice.json'])('%s', (file) => {
    expect(decode(fixture(`cadvisor/${file}`), opts)).toStrictEqual({
      ok: true,
      value: { decoder: 'cadvisor', observations: [], ignored: 1 },
    });
  });
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const edit = (file: string, change: (m: Json) => void): string => {
  const m = JSON.parse(fixture(`cadvisor/${file}`)) as Json;
  change(m);
  return JSON.stringify(m);
};
const statsOf = (text: string): ContainerStats | undefined => {
  const r = decode(text, opts);
  const o = r.ok ? r.value.observations[0] : undefined;
  return o?.kind === 'container' ? o.stats : undefined;
};

describe('cAdvisor variants', () => {
  test('without interfaces[], the promoted first-interface fields are used', () => {
    const text = edit('docker-plain.json', (m) => delete m['container_stats'].network.interfaces);
    expect(statsOf(text)?.counters).toStrictEqual({ cpu_usage_ns: 2 ** 53, network_rx_bytes: 640000, network_tx_bytes: 320000 });
  });

  test('a nameless all-zero network is not collected', () => {
    const text = edit('docker-plain.json', (m) => {
      m['container_stats'].network = { name: '', rx_bytes: 0, tx_bytes: 0 };
    });
    expect(statsOf(text)?.counters).toStrictEqual({ cpu_usage_ns: 2 ** 53 });
  });

  test('zero working set with zero usage is not collected; zero cpu usage is not collected', () => {
    const text = edit('docker-compose.json', (m) => {
      Object.assign(m['container_stats'].memory, { usage: 0, working_set: 0 });
      Object.assign(m['container_stats'].cpu.usage, { total: 0, user: 0, system: 0, per_cpu_usage: [0, 0] });
    });
    const s = statsOf(text);
    expect(s?.counters.cpu_usage_ns).toBeUndefined();
    expect(s?.gauges).toStrictEqual({ fs_usage_bytes: 3_221_225_472, processes: 7 });
  });

  test('a container with nothing collected is ignored', () => {
    const text = edit('containerd-app.json', (m) => {
      const s = m['container_stats'];
      Object.assign(s.cpu.usage, { total: 0, user: 0, system: 0 });
      Object.assign(s.cpu.cfs, { periods: 0, throttled_periods: 0, throttled_time: 0 });
      Object.assign(s.memory, { usage: 0, working_set: 0 });
    });
    expect(decode(text, opts)).toStrictEqual({ ok: true, value: { decoder: 'cadvisor', observations: [], ignored: 1 } });
  });

  test('docker name with a leading slash and no labels', () => {
    const text = edit('docker-plain.json', (m) => {
      m['container_Name'] = '/legacy-cron';
    });
    expect(statsOf(text)?.service).toStrictEqual({ namespace: 'docker', name: 'legacy-cron' });
  });

  test('dockershim name without labels still names the pod', () => {
    const text = edit('docker-k8s-app.json', (m) => delete m['container_labels']);
    const s = statsOf(text);
    expect([s?.service, s?.container]).toStrictEqual([{ namespace: 'shop', name: 'web' }, 'shop/web-0/nginx']);
  });

  test('pod labels on an app container name the workload (app.kubernetes.io/name before app)', () => {
    const text = edit('containerd-app.json', (m) => {
      Object.assign(m['container_labels'], { app: 'reviews-app', 'app.kubernetes.io/name': 'reviews-k8s' });
    });
    expect(statsOf(text)?.service).toStrictEqual({ namespace: 'bookinfo', name: 'reviews-k8s' });
  });
});

const errors: { name: string; text: () => string; code: string; path: string }[] = [
  {
    name: 'negative counter',
    text: () => edit('containerd-app.json', (m) => (m['container_stats'].cpu.usage.total = -5)),
    code: 'MW_DECODE_BAD_VALUE',
    path: 'container_stats.cpu.usage.total',
  },
  {
    name: 'negative gauge',
    text: () => edit('docker-compose.json', (m) => (m['container_stats'].filesystem[1].usage = -1)),
    code: 'MW_DECODE_BAD_VALUE',
    path: 'container_stats.filesystem[1].usage',
  },
  {
    name: 'counter as a string',
    text: () => edit('containerd-app.json', (m) => (m['container_stats'].cpu.usage.total = '9876543210123')),
    code: 'MW_DECODE_SCHEMA',
    path: 'container_stats.cpu.usage.total',
  },
  {
    name: '"NaN" gauge',
    text: () => edit('containerd-app.json', (m) => (m['container_stats'].memory.working_set = 'NaN')),
    code: 'MW_DECODE_BAD_VALUE',
    path: 'container_stats.memory.working_set',
  },
  {
    name: 'overflowing number (1e999)',
    text: () => fixture('cadvisor/containerd-app.json').replace('"working_set":268435456', '"working_set":1e999'),
    code: 'MW_DECODE_BAD_VALUE',
    path: 'container_stats.memory.working_set',
  },
  {
    name: 'memory is an array',
    text: () => edit('containerd-app.json', (m) => (m['container_stats'].memory = [])),
    code: 'MW_DECODE_SCHEMA',
    path: 'container_stats.memory',
  },
  {
    name: 'interface is not an object',
    text: () => edit('containerd-sandbox.json', (m) => (m['container_stats'].network.interfaces = [7])),
    code: 'MW_DECODE_SCHEMA',
    path: 'container_stats.network.interfaces[0]',
  },
  {
    name: 'label value not a string',
    text: () => edit('containerd-app.json', (m) => (m['container_labels'].restartcount = 2)),
    code: 'MW_DECODE_SCHEMA',
    path: 'container_labels["restartcount"]',
  },
  {
    name: 'container_stats null',
    text: () => edit('containerd-app.json', (m) => (m['container_stats'] = null)),
    code: 'MW_DECODE_SCHEMA',
    path: 'container_stats',
  },
  {
    name: 'missing sample time',
    text: () => edit('containerd-app.json', (m) => delete m['container_stats'].timestamp),
    code: 'MW_DECODE_BAD_TIMESTAMP',
    path: 'container_stats.timestamp',
  },
  {
    name: 'Go zero time',
    text: () => edit('containerd-app.json', (m) => (m['container_stats'].timestamp = '0001-01-01T00:00:00Z')),
    code: 'MW_DECODE_BAD_TIMESTAMP',
    path: 'container_stats.timestamp',
  },
  {
    name: 'unparseable time',
    text: () => edit('containerd-app.json', (m) => (m['container_stats'].timestamp = 'Fri Mar 14 08:26:50 UTC 2025')),
    code: 'MW_DECODE_BAD_TIMESTAMP',
    path: 'container_stats.timestamp',
  },
];

describe('cAdvisor errors', () => {
  test.each(errors)('$name -> $code at $path', ({ text, code, path }) => {
    const r = decode(text(), opts);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe(code);
    expect(r.error.decoder).toBe('cadvisor');
    expect(r.error.reason.startsWith(`${path}:`)).toBe(true);
  });
});
