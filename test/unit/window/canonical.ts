/**
 * Test helpers for window values: a canonicalising deep-equal (object keys sorted, so two
 * partials that differ only in key insertion order compare equal; sketches compare their
 * bucket maps) and observation builders for one service and one window.
 */
import { type ContainerStats, type Observation, type RequestRecord, type Sample, type ServiceId } from '../../../src/core/model.js';

/** The value with every object's keys sorted (arrays keep their order). */
export function canonical(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(canonical);
  if (x !== null && typeof x === 'object') {
    const o = x as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((k) => [k, canonical(o[k])]),
    );
  }
  return x;
}

export const SERVICE: ServiceId = { namespace: 'shop', name: 'cart' };
export const WINDOW_MS = 10_000;
/** A window start (epoch ms, aligned to WINDOW_MS). */
export const T0 = 1_700_000_000_000;

export const sample = (ts: number, metric: string, value: number, service: ServiceId = SERVICE): Observation => {
  const s: Sample = { ts, service, metric, value };
  return { kind: 'sample', sample: s };
};

export const container = (
  ts: number,
  id: string,
  counters: ContainerStats['counters'],
  gauges: ContainerStats['gauges'] = {},
  service: ServiceId = SERVICE,
): Observation => ({ kind: 'container', stats: { ts, service, container: id, counters, gauges } });

export const request = (
  ts: number,
  r: Partial<Omit<RequestRecord, 'ts' | 'service' | 'peer'>> & { peer?: ServiceId | undefined } = {},
  service: ServiceId = SERVICE,
): Observation => {
  const rec: RequestRecord = {
    ts,
    service,
    direction: r.direction ?? 'inbound',
    protocol: r.protocol ?? 'http',
    status: r.status ?? 200,
    isError: r.isError ?? false,
    durationMs: r.durationMs ?? 10,
    bytesReceived: r.bytesReceived ?? 100,
    bytesSent: r.bytesSent ?? 1000,
  };
  if (r.peer) rec.peer = r.peer;
  return { kind: 'request', request: rec };
};
