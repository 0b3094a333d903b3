/**
 * One synthetic mesh, two routes in: access logs (Fluent Bit) + cAdvisor's Kafka driver, or only
 * prometheus-kafka-adapter samples (istio_* and kubelet container_* series). Replayed through the
 * same pipeline, both give the same alerts: same services, kinds and metrics, each firing within
 * one window of its counterpart.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { replay } from '../../../src/cli/replay.js';
import { type Alert } from '../../../src/core/alert/schema.js';
import { PrometheusMesh } from '../../../src/demo/mesh-prometheus.js';
import { type Injection, SyntheticMesh } from '../../../src/demo/mesh.js';
import { testConfig } from '../../helpers.js';

const WINDOW_MS = 10_000;
const BASE_MS = Date.UTC(2026, 11, 1, 9, 0, 0);
const WINDOWS = 40;
const INJECTIONS: Injection[] = [
  { kind: 'cpu_spike', service: 'checkout', factor: 6, from: 24, to: 30 },
  { kind: 'new_edge', source: 'frontend', destination: 'payments', from: 26, to: 30 },
  { kind: 'latency_spike', service: 'catalog', factor: 8, from: 25, to: 31 },
];

function inputs(): { logs: string[]; adapter: string[] } {
  const mesh = new SyntheticMesh(WINDOW_MS, INJECTIONS, 11);
  const prom = new PrometheusMesh(WINDOW_MS);
  const logs: string[] = [];
  const adapter: string[] = [];
  for (let i = 0; i < WINDOWS; i++) {
    const w = mesh.window(BASE_MS, i);
    logs.push(...w.envoy, ...w.cadvisor);
    adapter.push(...prom.window(BASE_MS, i, w));
  }
  return { logs, adapter };
}

async function alertsOf(lines: readonly string[]): Promise<Alert[]> {
  const out: Alert[] = [];
  await replay(testConfig('equivalence'), Readable.from(lines.map((l) => `${l}\n`)), (a) => out.push(a));
  return out.filter((a) => a.status === 'firing');
}

const what = (a: Alert): string =>
  `${a.service.namespace}/${a.service.name} ${a.kind} ${a.metric ?? ''} ${a.peer ? `${a.peer.namespace}/${a.peer.name}` : ''}`;

describe('prometheus-kafka-adapter vs access logs + cAdvisor', { timeout: 300_000 }, () => {
  it('gives the same alerts: services, kinds, metrics, and window starts within one window', async () => {
    const { logs, adapter } = inputs();
    const fromLogs = await alertsOf(logs);
    const fromAdapter = await alertsOf(adapter);

    const kinds = (as: Alert[]): string[] => [...new Set(as.map(what))].sort();
    // The injected anomalies are found at all (else the comparison proves nothing).
    expect(kinds(fromLogs)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^shop\/checkout \S+ cpu_cores/),
        expect.stringMatching(/^shop\/frontend new_peer .*shop\/payments$/),
        expect.stringMatching(/^shop\/catalog \S+ latency_p/),
      ]),
    );
    expect(kinds(fromAdapter)).toStrictEqual(kinds(fromLogs));
    for (const a of fromAdapter) {
      const starts = fromLogs.filter((b) => what(b) === what(a)).map((b) => Date.parse(b.window.start));
      const nearest = Math.min(...starts.map((s) => Math.abs(s - Date.parse(a.window.start))));
      expect({ alert: what(a), apartMs: nearest <= WINDOW_MS ? 'within one window' : nearest }).toStrictEqual({
        alert: what(a),
        apartMs: 'within one window',
      });
    }
  });
});
