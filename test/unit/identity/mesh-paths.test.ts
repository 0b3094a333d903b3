/**
 * One synthetic mesh through every path (Fluent Bit, Vector, OTLP/JSON, raw JSON, legacy
 * all-string JSON, and a mix of all of them with the app containers' cAdvisor records before the
 * sandboxes'): every path yields the same service identities and per-service request counts, and
 * CPU, memory and network land on the name the access logs have (the canonical name, never the
 * Deployment name `<svc>-v1` the app containers and OTLP resources would give alone).
 * Through `ingestStep` with the pod join, as replay runs it; small batches, so holds cross batches.
 */
import { describe, expect, test } from 'vitest';
import { Attributor, DEFAULT_ATTRIBUTION } from '../../../src/core/identity/attribution.js';
import { serviceKey } from '../../../src/core/model.js';
import { ingestStep } from '../../../src/core/pipeline/steps.js';
import { type WindowPartial, mergePartials } from '../../../src/core/window/partial.js';
import { NAMESPACE, PATHS, PODS, SERVED, SERVICES, type PathName, accessLogs, cadvisor } from './mesh.js';

const TICKS = 6;
const aggregator = { windowMs: 10_000, maxOpenPartials: 10_000, maxEdges: 100, maxContainers: 100, maxMetrics: 64 };

function run(records: readonly string[]): { services: Map<string, WindowPartial>; rejected: string[] } {
  const attributor = new Attributor(DEFAULT_ATTRIBUTION);
  const merged = new Map<string, WindowPartial>();
  const rejected: string[] = [];
  let clock = -Infinity;
  const step = (batch: readonly string[], final: boolean): void => {
    const r = ingestStep(batch, {
      aggregator,
      decode: { hint: 'auto', maxBytes: 1_000_000 },
      source: 'replay',
      nowMs: undefined,
      attribution: { attributor, nowMs: clock, final },
    });
    clock = Math.max(clock, r.reachedMs);
    rejected.push(...r.rejected.map((x) => `${x.problem.code}: ${x.problem.reason}`));
    for (const p of r.partials) {
      // One value per service across windows: the window start is irrelevant to naming.
      const k = serviceKey(p.service);
      const prev = merged.get(k);
      merged.set(k, prev ? mergePartials(prev, { ...p, windowStart: prev.windowStart }) : p);
    }
  };
  for (let i = 0; i < records.length; i += 7) step(records.slice(i, i + 7), false);
  step([], true);
  return { services: merged, rejected };
}

function summary(
  services: Map<string, WindowPartial>,
): Record<string, { requests: number; cpu: boolean; memory: boolean; network: boolean }> {
  const out: Record<string, { requests: number; cpu: boolean; memory: boolean; network: boolean }> = {};
  for (const [k, p] of [...services.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const cs = Object.values(p.containers);
    out[k] = {
      requests: p.requests?.n ?? 0,
      cpu: cs.some((c) => c.counters.cpu_usage_ns !== undefined),
      memory: cs.some((c) => c.gauges.memory_working_set_bytes !== undefined),
      network: cs.some((c) => c.counters.network_rx_bytes !== undefined),
    };
  }
  return out;
}

const EXPECTED = Object.fromEntries(
  [...SERVICES].sort().map((s) => [`${NAMESPACE}/${s}`, { requests: SERVED[s], cpu: true, memory: true, network: true }]),
);

const stats = (order: 'sandbox-first' | 'app-first'): string[] => {
  const sandboxes: string[] = [];
  const apps: string[] = [];
  const out: string[] = [];
  for (let t = 0; t < TICKS; t++) {
    for (const p of PODS) {
      const c = cadvisor(p, t);
      if (order === 'sandbox-first') out.push(c.sandbox, ...c.containers);
      else {
        apps.push(...c.containers);
        sandboxes.push(c.sandbox);
      }
    }
  }
  return order === 'sandbox-first' ? out : [...apps, ...sandboxes];
};

describe('one mesh, one set of names, whatever the path', () => {
  test.each(Object.keys(PATHS) as PathName[])('%s', (path) => {
    const logs = accessLogs().map(PATHS[path]);
    const { services, rejected } = run([...stats('sandbox-first'), ...logs]);
    expect(rejected).toStrictEqual([]);
    expect(summary(services)).toStrictEqual(EXPECTED);
  });

  test('a mix of every path, the app containers before the sandboxes', () => {
    const names = Object.keys(PATHS) as PathName[];
    const logs = accessLogs().map((l, i) => PATHS[names[(i * 7) % names.length]!](l));
    const [apps, sandboxes] = [stats('app-first').slice(0, TICKS * PODS.length * 3), stats('app-first').slice(TICKS * PODS.length * 3)];
    const { services, rejected } = run([...apps, ...logs, ...sandboxes]);
    expect(rejected).toStrictEqual([]);
    expect(summary(services)).toStrictEqual(EXPECTED);
  });

  test('without a labelled source a pod keeps one fallback name (no second identity)', () => {
    // Only app containers and OTLP: nothing carries the pod labels, so every record of a pod gets `<svc>-v1`.
    const apps = stats('app-first').slice(0, TICKS * PODS.length * 3);
    const logs = accessLogs().map(PATHS['otlp-json']);
    const { services } = run([...apps, ...logs]);
    expect([...services.keys()].sort()).toStrictEqual([...SERVICES].map((s) => `${NAMESPACE}/${s}-v1`).sort());
  });
});
