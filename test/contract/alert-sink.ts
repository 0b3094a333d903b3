/**
 * The AlertSink contract: every adapter (Kafka, memory, future PagerDuty/Alertmanager
 * sinks) runs these assertions, so the fakes stay honest. A subject provides the sink, a
 * way to read back what it delivered, and a sink that cannot take a given oversize alert.
 */
import { describe, expect, it } from 'vitest';
import { type Alert, AlertSchema } from '../../src/core/alert/schema.js';
import { episodeId } from '../../src/core/alert/id.js';
import { type AlertSink } from '../../src/runtime/ports.js';

export interface AlertSinkSubject {
  sink: AlertSink;
  /** What the sink delivered so far, in delivery order per service. */
  readBack(expected: number): Promise<Alert[]>;
  /** A sink whose limit this alert exceeds (its record limit, its API's payload size). */
  small(): Promise<AlertSink>;
  close(): Promise<void>;
}

export function alertOf(service: string, status: 'firing' | 'resolved', i: number, pad = ''): Alert {
  const start = Date.UTC(2026, 11, 1) + i * 10_000;
  return AlertSchema.parse({
    schema: 'meshwatch.alert/v1',
    id: episodeId(`shop/${service}`, 'spike', 'cpu_cores', start),
    status,
    kind: 'spike',
    severity: 'error',
    service: { namespace: 'shop', name: service },
    metric: 'cpu_cores',
    observed: 6 + i,
    expected: { value: 1, lower: 0.8, upper: 1.2 },
    score: 0.9,
    window: { start: new Date(start).toISOString(), end: new Date(start + 10_000).toISOString() },
    startsAt: new Date(start).toISOString(),
    endsAt: status === 'resolved' ? new Date(start + 10_000).toISOString() : null,
    summary: `cpu_cores of shop/${service} at ${6 + i}, expected 0.8–1.2`,
    details: pad ? { pad } : {},
  });
}

export function alertSinkContract(name: string, make: () => Promise<AlertSinkSubject>): void {
  describe(`AlertSink contract: ${name}`, { timeout: 60_000 }, () => {
    it('delivers nothing for an empty list, and says ok', async () => {
      const s = await make();
      try {
        expect(await s.sink.deliver([])).toEqual({ ok: true });
      } finally {
        await s.close();
      }
    });

    it('acknowledges only what it delivered: every alert reads back intact, in order per service', async () => {
      const s = await make();
      try {
        const alerts = [alertOf('a', 'firing', 0), alertOf('b', 'firing', 1), alertOf('a', 'resolved', 2)];
        expect(await s.sink.deliver(alerts)).toEqual({ ok: true });
        const got = await s.readBack(alerts.length);
        expect([...got].sort((x, y) => x.observed - y.observed)).toEqual(alerts);
        expect(got.filter((a) => a.service.name === 'a').map((a) => a.status)).toEqual(['firing', 'resolved']);
      } finally {
        await s.close();
      }
    });

    it('takes the same alerts again (a re-read re-delivers them) with the same ids', async () => {
      const s = await make();
      try {
        const alerts = [alertOf('c', 'firing', 3)];
        expect(await s.sink.deliver(alerts)).toEqual({ ok: true });
        expect(await s.sink.deliver(alerts)).toEqual({ ok: true });
        const got = await s.readBack(2);
        expect(got.map((a) => a.id)).toEqual([alerts[0]!.id, alerts[0]!.id]);
      } finally {
        await s.close();
      }
    });

    it('answers an alert it can never take with a permanent failure value, never a throw', async () => {
      const s = await make();
      try {
        const small = await s.small();
        const d = await small.deliver([alertOf('d', 'firing', 4, 'x'.repeat(200_000))]);
        expect(d.ok).toBe(false);
        if (!d.ok) {
          expect(d.retriable).toBe(false);
          expect(d.error.code).toMatch(/^MW_/);
        }
      } finally {
        await s.close();
      }
    });
  });
}
