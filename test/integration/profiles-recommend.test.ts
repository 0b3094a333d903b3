/**
 * A synthetic week of 20 workloads (cAdvisor stats in the wire format, plus Istio access logs for
 * a call chain) replayed through the pipeline; the states go to the real Redis, and
 * `meshwatch profiles recommend|export` read them back from there.
 *
 * Claims: the recommendations are within 5 % of the VPA recommender's estimators computed HERE,
 * independently, from the same samples (decaying 5 % bucket histograms with a 24 h half-life,
 * one memory peak per container and 24 h interval, the OOM bump, P90/P50/P95 × 1.15 with the
 * confidence multipliers, the 25m / 250 MiB floors split across the pod's containers); the
 * Istio, NetworkPolicy and Kubernetes exports validate against the upstream schemas vendored in
 * test/fixtures/upstream-schemas and allow exactly the observed edges; the exported profile,
 * declared back from a file, is the same profile.
 */
import { mkdtemp, readFileSync, writeFile } from 'node:fs';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import { parse, parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { aggregatorOptionsOf, decodeOptionsOf, engineParamsOf, timeGuardParamsOf } from '../../src/config/derive.js';
import { LocalPipeline } from '../../src/core/pipeline/local.js';
import { parseQuantity } from '../../src/core/profile/quantity.js';
import { profileView } from '../../src/core/profile/view.js';
import { type ProfileSource, runProfiles } from '../../src/cli/profiles.js';
import { parseFlags } from '../../src/cli/args.js';
import { PROFILE_FLAGS } from '../../src/cli/profiles.js';
import { loadProfileDir } from '../../src/profiles/load.js';
import { type RedisStateStore } from '../../src/stores/redis/store.js';
import { redisStoreFor, testConfig, uniqueId } from '../helpers.js';

const DAY = 86_400_000;
const WINDOW = 300_000;
const WINDOWS = (7 * DAY) / WINDOW; // 2016
const T0 = Date.UTC(2026, 10, 2);
const NS = 'shop';
const MiB = 1024 * 1024;

/* ---------- the synthetic week ---------- */

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Instance {
  workload: string;
  container: string;
  pod: string;
  cpuNs: number[]; // cumulative, one point per window
  mem: number[];
  oomAt?: number; // window index whose point first reports oom_events = 1
}

const workloads = Array.from({ length: 20 }, (_, i) => `svc-${String(i).padStart(2, '0')}`);
const POD_SUFFIX = ['xk2pq', 'zt4m9'];

function buildInstances(): Instance[] {
  const r = rng(18);
  const out: Instance[] = [];
  workloads.forEach((w, wi) => {
    const containers = wi < 10 ? ['app'] : ['app', 'cache'];
    const baseCores = 0.02 + wi * 0.04;
    const baseMem = (120 + wi * 37) * MiB;
    for (const [ci, container] of containers.entries()) {
      for (const suffix of POD_SUFFIX) {
        const inst: Instance = { workload: w, container, pod: `${w}-7c9b4d8f5-${suffix}`, cpuNs: [], mem: [] };
        let ns = 0;
        for (let k = 0; k < WINDOWS; k++) {
          const hour = ((k * WINDOW) / 3_600_000) % 24;
          const daily = 1 + 0.5 * Math.sin((hour / 24) * 2 * Math.PI);
          const cores = baseCores * (ci === 0 ? 1 : 0.3) * daily * (0.7 + 0.6 * r());
          ns += Math.round(cores * (WINDOW / 1000) * 1e9);
          inst.cpuNs.push(ns);
          inst.mem.push(Math.round(baseMem * (ci === 0 ? 1 : 0.5) * (0.9 + 0.1 * daily + 0.05 * r())));
        }
        out.push(inst);
      }
    }
  });
  // An OOM kill on day 6 for one replica of svc-05.
  const victim = out.find((i) => i.workload === 'svc-05');
  if (victim) victim.oomAt = 5 * (DAY / WINDOW) + 40;
  return out;
}

const iso = (ms: number): string => new Date(ms).toISOString();

function cadvisorLine(inst: Instance, k: number): string {
  const ts = T0 + k * WINDOW + 1000;
  const id = `${inst.pod}-${inst.container}`;
  const stats: Record<string, unknown> = {
    timestamp: iso(ts),
    cpu: { usage: { total: inst.cpuNs[k], user: Math.round((inst.cpuNs[k] ?? 0) * 0.7), system: Math.round((inst.cpuNs[k] ?? 0) * 0.3) } },
    memory: { usage: inst.mem[k], working_set: inst.mem[k] },
  };
  if (inst.oomAt !== undefined && k >= inst.oomAt) stats.oom_events = 1;
  return JSON.stringify({
    timestamp: iso(ts + 5),
    machine_name: 'node-1',
    container_Name: id,
    container_Id: id,
    container_labels: {
      app: inst.workload,
      'io.kubernetes.pod.name': inst.pod,
      'io.kubernetes.pod.namespace': NS,
      'io.kubernetes.pod.uid': `uid-${inst.pod}`,
      'io.kubernetes.container.name': inst.container,
      'io.cri-containerd.kind': 'container',
    },
    container_stats: stats,
  });
}

/** The call chain svc-00 → svc-01 → … → svc-04, both sidecars logging, every hour of the first day. */
const CHAIN = workloads.slice(0, 5);
function envoyLines(k: number): string[] {
  if (k >= DAY / WINDOW || k % 12 !== 3) return [];
  const ts = T0 + k * WINDOW + 2000;
  const lines: string[] = [];
  for (let i = 0; i + 1 < CHAIN.length; i++) {
    const from = CHAIN[i] as string;
    const to = CHAIN[i + 1] as string;
    const fqdn = `${to}.${NS}.svc.cluster.local`;
    const common = {
      start_time: iso(ts),
      method: 'GET',
      path: `/api/${to}`,
      protocol: 'HTTP/1.1',
      response_code: 200,
      response_flags: '-',
      bytes_received: 100,
      bytes_sent: 900,
      duration: 12,
      authority: `${to}:8080`,
    };
    const envelope = (who: string, line: Record<string, unknown>): string =>
      JSON.stringify({
        time: iso(ts + 1),
        log: JSON.stringify(line),
        kubernetes: { pod_name: `${who}-7c9b4d8f5-xk2pq`, namespace_name: NS, labels: { app: who }, container_name: 'istio-proxy' },
      });
    lines.push(envelope(from, { ...common, upstream_cluster: `outbound|8080||${fqdn}`, upstream_host: '10.0.0.2:8080' }));
    lines.push(
      envelope(to, {
        ...common,
        upstream_cluster: 'inbound|8080||',
        requested_server_name: `outbound_.8080_._.${fqdn}`,
        downstream_peer_uri_san: `spiffe://cluster.local/ns/${NS}/sa/${from}`,
      }),
    );
  }
  return lines;
}

/* ---------- the VPA recommender, re-implemented from its documentation ---------- */

const GROWTH = 1.05;
const HALF_LIFE = DAY;
interface Weighted {
  v: number;
  w: number;
  t: number;
}
function vpaPercentile(samples: Weighted[], first: number, max: number, p: number): number {
  if (samples.length === 0) return 0;
  const n = Math.ceil(Math.log((max * (GROWTH - 1)) / first + 1) / Math.log(GROWTH)) + 1;
  const start = (i: number): number => (i === 0 ? 0 : (first * (GROWTH ** i - 1)) / (GROWTH - 1));
  const bucket = (v: number): number =>
    v < first ? 0 : Math.min(n - 1, Math.floor(Math.log((v * (GROWTH - 1)) / first + 1) / Math.log(GROWTH)));
  const tRef = Math.max(...samples.map((s) => s.t));
  const weights = new Map<number, number>();
  let total = 0;
  for (const s of samples) {
    const w = s.w * 2 ** ((s.t - tRef) / HALF_LIFE);
    const b = bucket(s.v);
    weights.set(b, (weights.get(b) ?? 0) + w);
    total += w;
  }
  const filled = [...weights.keys()].sort((a, b) => a - b);
  const last = filled[filled.length - 1] as number;
  let sum = 0;
  let b = filled[0] as number;
  for (; b < last; b++) {
    sum += weights.get(b) ?? 0;
    if (sum >= p * total) break;
  }
  return b < n - 1 ? start(b + 1) : start(b);
}

interface Expected {
  cpu: { target: number; lower: number; upper: number };
  mem: { target: number; lower: number; upper: number };
}
function vpaExpected(insts: Instance[], containersInPod: number): Expected {
  const cpu: Weighted[] = [];
  const mem: Weighted[] = [];
  let firstCpu = Infinity;
  let lastCpu = -Infinity;
  for (const inst of insts) {
    for (let k = 1; k < WINDOWS; k++) {
      const t = T0 + k * WINDOW;
      cpu.push({ v: ((inst.cpuNs[k] ?? 0) - (inst.cpuNs[k - 1] ?? 0)) / ((WINDOW / 1000) * 1e9), w: 0.1, t });
      firstCpu = Math.min(firstCpu, t);
      lastCpu = Math.max(lastCpu, t);
    }
    // One peak per 24 h interval, starting at the instance's first sample, placed at the interval's end.
    const perDay = DAY / WINDOW;
    for (let d = 0; d * perDay < WINDOWS; d++) {
      let peak = 0;
      for (let k = d * perDay; k < Math.min(WINDOWS, (d + 1) * perDay); k++) {
        peak = Math.max(peak, inst.mem[k] ?? 0);
        if (inst.oomAt === k) {
          const used = Math.max(...inst.mem.slice(d * perDay, k + 1));
          peak = Math.max(peak, Math.max(used + 100 * MiB, used * 1.2));
        }
      }
      mem.push({ v: peak, w: 1, t: T0 + (d + 1) * DAY });
    }
  }
  const samples = (cpu.length * (WINDOW / 60_000)) / 1440;
  const c = Math.min((lastCpu - firstCpu) / DAY, samples);
  const minCpu = 0.025 / containersInPod;
  const minMem = (250 * MiB) / containersInPod;
  const est = (s: Weighted[], first: number, max: number, min: number) => ({
    target: Math.max(min, vpaPercentile(s, first, max, 0.9) * 1.15),
    lower: Math.max(min, vpaPercentile(s, first, max, 0.5) * 1.15 * (1 + 0.001 / c) ** -2),
    upper: Math.max(min, vpaPercentile(s, first, max, 0.95) * 1.15 * (1 + 1 / c)),
  });
  return { cpu: est(cpu, 0.01, 1000, minCpu), mem: est(mem, 1e7, 1e12, minMem) };
}

/* ---------- schemas ---------- */

type Json = Record<string, unknown>;
const fixture = (f: string): Json =>
  JSON.parse(readFileSync(new URL(`../fixtures/upstream-schemas/${f}`, import.meta.url), 'utf8')) as Json;

/** Kubernetes' validators accept an integer where the OpenAPI says `format: int-or-string`. */
function intOrString(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(intOrString);
  if (schema === null || typeof schema !== 'object') return schema;
  const o = schema as Json;
  if (o.format === 'int-or-string') return { anyOf: [{ type: 'integer' }, { type: 'string' }] };
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, intOrString(v)]));
}

function validator(doc: Json, name: string): (x: unknown) => string[] {
  const schemas = (doc.components as { schemas: Json }).schemas;
  const ajv = new Ajv({ allErrors: true, unknownFormats: 'ignore', schemaId: 'auto', logger: false });
  const root = intOrString({ components: { schemas } }) as Json;
  ajv.addSchema(root, 'upstream');
  const validate = ajv.compile({ $ref: `upstream#/components/schemas/${name}` });
  return (x) => {
    const errors: string[] = [];
    if (!validate(x)) errors.push(...(validate.errors ?? []).map((e) => `${e.dataPath} ${e.message ?? ''}`));
    errors.push(...unknownFields(x, schemas[name], schemas, ''));
    return errors;
  };
}

/** Fields the schema does not define (kubectl's strict field validation): the schemas leave additionalProperties open. */
function unknownFields(x: unknown, schema: unknown, all: Json, at: string): string[] {
  if (schema === undefined || x === null || typeof x !== 'object') return [];
  let s = schema as Json;
  while (typeof s.$ref === 'string') s = all[s.$ref.split('/').pop() as string] as Json;
  if (Array.isArray(x)) return x.flatMap((item, i) => unknownFields(item, s.items, all, `${at}[${i}]`));
  const props = s.properties as Json | undefined;
  if (!props) return [];
  return Object.entries(x).flatMap(([k, v]) =>
    k in props ? unknownFields(v, props[k], all, `${at}.${k}`) : [`${at}.${k} is not a field of the schema`],
  );
}

/* ---------- the test ---------- */

describe('profiles recommend and export after a synthetic week', () => {
  const run = uniqueId('profiles');
  const config = testConfig(run, { window: { ms: WINDOW, allowedLatenessWindows: 1, idleCloseMs: 1500 } });
  const cleanups: (() => Promise<void>)[] = [];
  let store: RedisStateStore;
  let source: ProfileSource;
  const instances = buildInstances();

  const cli = async (...argv: string[]): Promise<string> => {
    let out = '';
    await runProfiles(source, parseFlags(argv, PROFILE_FLAGS), (t) => {
      out += t;
    });
    return out;
  };

  beforeAll(async () => {
    store = await redisStoreFor(config, cleanups);
    const pipeline = new LocalPipeline({
      aggregator: aggregatorOptionsOf(config),
      engine: engineParamsOf(config),
      decode: decodeOptionsOf(config, 'auto'),
      eventTime: timeGuardParamsOf(config),
      batchRecords: 5000,
    });
    for (let k = 0; k < WINDOWS; k++) {
      for (const inst of instances) pipeline.push(cadvisorLine(inst, k));
      for (const line of envoyLines(k)) pipeline.push(line);
    }
    pipeline.end();
    expect(pipeline.stats.rejected).toEqual({});
    const states = pipeline.engine.keys().flatMap((k) => pipeline.engine.stateOf(k) ?? []);
    expect(states).toHaveLength(20);
    await store.save(states);
    source = {
      keys: () => store.serviceKeys(),
      view: async (k) => {
        const s = (await store.load([k])).get(k);
        return s ? profileView(s) : undefined;
      },
    };
  }, 600_000);

  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  test('recommend: CPU and memory targets and bounds within 5 % of the VPA estimators, for every container of 20 workloads', async () => {
    const lines = (await cli('recommend'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { service: { name: string }; containers: { name: string; cpuCores: Json; memoryBytes: Json }[] });
    expect(lines).toHaveLength(20);
    let compared = 0;
    let worst = 0;
    for (const line of lines) {
      const names = line.containers.map((c) => c.name);
      expect(names).toEqual(Number(line.service.name.slice(4)) < 10 ? ['app'] : ['app', 'cache']);
      for (const c of line.containers) {
        const want = vpaExpected(
          instances.filter((i) => i.workload === line.service.name && i.container === c.name),
          names.length,
        );
        const near = (got: unknown, exp: number): void => {
          expect(typeof got).toBe('number');
          expect(Math.abs((got as number) - exp)).toBeLessThanOrEqual(0.05 * exp);
          worst = Math.max(worst, Math.abs((got as number) - exp) / exp);
        };
        near(c.cpuCores.target, want.cpu.target);
        near(c.cpuCores.lowerBound, want.cpu.lower);
        near(c.cpuCores.upperBound, want.cpu.upper);
        near(c.memoryBytes.target, want.mem.target);
        near(c.memoryBytes.lowerBound, want.mem.lower);
        near(c.memoryBytes.upperBound, want.mem.upper);
        compared++;
      }
    }
    expect(compared).toBe(30);
    console.info(`profiles recommend vs the VPA estimators: ${compared} containers, worst relative deviation ${worst}`);
  });

  test('the OOM kill raises the memory recommendation of its container by the VPA bump', async () => {
    const [line] = (await cli('recommend', `${NS}/svc-05`)).trim().split('\n');
    const rec = JSON.parse(line ?? '{}') as { containers: { memoryBytes: { upperBound: number }; ooms: number }[] };
    expect(rec.containers[0]?.ooms).toBe(1);
    const withoutOom = vpaExpected(
      instances
        .filter((i) => i.workload === 'svc-05')
        .map((i): Instance => ({ workload: i.workload, container: i.container, pod: i.pod, cpuNs: i.cpuNs, mem: i.mem })),
      1,
    );
    expect(rec.containers[0]?.memoryBytes.upperBound).toBeGreaterThan(withoutOom.mem.upper);
  });

  test('istio export: an AUDIT AuthorizationPolicy valid against the upstream schema, allowing exactly the observed callers', async () => {
    const validate = validator(fixture('istio-security-authorization-policy.gen.json'), 'istio.security.v1beta1.AuthorizationPolicy');
    for (const [i, w] of CHAIN.entries()) {
      const doc = parse(await cli('export', `${NS}/${w}`, '--format', 'istio', '--assume-service-accounts')) as Json;
      expect(doc).toMatchObject({
        apiVersion: 'security.istio.io/v1',
        kind: 'AuthorizationPolicy',
        metadata: { name: `${w}-meshwatch`, namespace: NS },
      });
      const spec = doc.spec as { action: string; rules?: { from: { source: { principals: string[] } }[] }[] };
      expect(validate(spec)).toEqual([]);
      expect(spec.action).toBe('AUDIT');
      const principals = (spec.rules ?? []).flatMap((r) => r.from.flatMap((f) => f.source.principals));
      expect(principals).toEqual(i === 0 ? [] : [`cluster.local/ns/${NS}/sa/${CHAIN[i - 1] ?? ''}`]);
    }
    const allow = parse(await cli('export', `${NS}/svc-02`, '--format', 'istio', '--action', 'allow')) as Json;
    expect((allow.spec as Json).action).toBe('ALLOW');
    // Without principals in the logs' place, a caller can only be named by its namespace: said so.
    expect((allow.metadata as { annotations: Json }).annotations['meshwatch.io/widened-callers']).toBe(`${NS}/svc-01`);
  });

  test('networkpolicy export: valid against the upstream OpenAPI, ingress and egress exactly the observed peers, DNS egress included', async () => {
    const validate = validator(fixture('networking.k8s.io-v1.openapi.json'), 'io.k8s.api.networking.v1.NetworkPolicy');
    for (const [i, w] of CHAIN.entries()) {
      const doc = parse(await cli('export', `${NS}/${w}`, '--format', 'networkpolicy')) as Json;
      expect(validate(doc)).toEqual([]);
      const spec = doc.spec as {
        policyTypes: string[];
        ingress: { from: Json[] }[];
        egress: { to: Json[]; ports?: Json[] }[];
      };
      expect(spec.policyTypes).toEqual(['Ingress', 'Egress']);
      const named = (peers: Json[]): string[] =>
        peers.map((p) => (p.podSelector as { matchLabels: Record<string, string> }).matchLabels['service.istio.io/canonical-name'] ?? '?');
      expect(spec.ingress.flatMap((r) => named(r.from))).toEqual(i === 0 ? [] : [CHAIN[i - 1]]);
      const dns = spec.egress.find((r) => r.ports !== undefined);
      expect(dns).toEqual({
        to: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
            podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
          },
        ],
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 53 },
        ],
      });
      expect(spec.egress.filter((r) => r !== dns).flatMap((r) => named(r.to))).toEqual(i + 1 < CHAIN.length ? [CHAIN[i + 1]] : []);
    }
  });

  test('k8s export: Guaranteed (requests = limits = target) and Burstable (lower, upper) resource patches per container', async () => {
    const validate = validator(fixture('core-v1-resource-requirements.openapi.json'), 'io.k8s.api.core.v1.ResourceRequirements');
    const docs = parseAllDocuments(await cli('export', `${NS}/svc-12`, '--format', 'k8s')).map((d) => d.toJSON() as Json);
    expect(docs.map((d) => (d.metadata as { annotations: Json }).annotations['meshwatch.io/qos'])).toEqual(['Guaranteed', 'Burstable']);
    const [view] = [await source.view(`${NS}/svc-12`)];
    const recs = view?.recommendation.containers ?? [];
    for (const [qi, d] of docs.entries()) {
      expect(d).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'svc-12', namespace: NS } });
      const containers = ((d.spec as Json).template as { spec: { containers: { name: string; resources: Json }[] } }).spec.containers;
      expect(containers.map((c) => c.name)).toEqual(['app', 'cache']);
      for (const [ci, c] of containers.entries()) {
        expect(validate(c.resources)).toEqual([]);
        const res = c.resources as { requests: Record<string, string>; limits: Record<string, string> };
        const q = (s: string | undefined): number => {
          const r = parseQuantity(s ?? '');
          if (!r.ok) throw new Error(`not a quantity: ${s ?? ''}`);
          return r.value;
        };
        const rec = recs[ci];
        const cpuReq = qi === 0 ? rec?.cpuCores.target : rec?.cpuCores.lowerBound;
        const memLim = qi === 0 ? rec?.memoryBytes.target : rec?.memoryBytes.upperBound;
        expect(q(res.requests.cpu)).toBeGreaterThanOrEqual(cpuReq ?? Infinity);
        expect(q(res.requests.cpu) - (cpuReq ?? 0)).toBeLessThanOrEqual(0.001);
        expect(q(res.limits.memory)).toBeGreaterThanOrEqual(memLim ?? Infinity);
        expect(q(res.limits.memory) - (memLim ?? 0)).toBeLessThanOrEqual(MiB);
        if (qi === 0) expect(res.requests).toEqual(res.limits);
      }
    }
  });

  test('profile export: the learned profile declared back from a file is the same profile', async () => {
    const yamlText = await cli('export', `${NS}/svc-02`, '--format', 'profile');
    const exported = parse(yamlText) as Json;
    expect(exported.spec).toMatchObject({
      mode: 'learn',
      peers: { inbound: [{ workload: { namespace: NS, name: 'svc-01' } }], outbound: [{ workload: { namespace: NS, name: 'svc-03' } }] },
    });
    const dir = await promisify(mkdtemp)(join(tmpdir(), 'mw-profile-'));
    await promisify(writeFile)(join(dir, 'svc-02.yaml'), yamlText);
    const loaded = await loadProfileDir(dir);
    expect(loaded.ok).toBe(true);
    if (loaded.ok) expect(loaded.profiles).toEqual([exported]);
  });

  test('list names every service with its history; an unknown service is a usage error', async () => {
    const list = (await cli('list')).trim().split('\n');
    expect(list).toHaveLength(20);
    expect(list[0]).toMatch(/^shop\/svc-00\twindows=2016\tdays=7\.00\tcontainers=1\tpeers=1$/);
    await expect(cli('show', `${NS}/nope`)).rejects.toMatchObject({ code: 'MW_USAGE' });
  });
});
