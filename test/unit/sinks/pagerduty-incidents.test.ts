/** Incident → PagerDuty Events API v2 event: one dedup_key per incident, storms paged once. */
import { describe, expect, it } from 'vitest';
import { type Incident, IncidentSchema } from '../../../src/core/incident/schema.js';
import { type IncidentDetails, eventOfIncident } from '../../../src/sinks/pagerduty/events.js';

const KEY = 'PDINTEGRATIONKEY0123456789abcdef';
const T = '2026-12-01T00:00:00.000Z';
const T1 = '2026-12-01T00:00:10.000Z';

const incident = (over: Partial<Incident>): Incident =>
  IncidentSchema.parse({
    schema: 'meshwatch.incident/v1',
    id: 'mw-0123456789abcdef',
    revision: 1,
    scope: 'service',
    status: 'firing',
    change: 'opened',
    severity: 'critical',
    service: { namespace: 'shop', name: 'checkout', cluster: 'eu-1' },
    summary: 'shop/checkout: 2 metric(s) anomalous',
    startsAt: T,
    endsAt: null,
    window: { start: T, end: T1 },
    metrics: ['error_ratio', 'latency_p99_ms'].map((metric, i) => ({
      alertId: `mw-${String(i).repeat(16)}`,
      kind: 'spike',
      metric,
      status: 'firing',
      severity: 'critical',
      observed: 9,
      expected: { value: 1, lower: 0.5, upper: 1.5 },
      score: 0.9,
      since: T,
      until: null,
    })),
    metricsOmitted: 0,
    storm: null,
    services: [],
    servicesOmitted: 0,
    servicesSeen: 0,
    ...over,
  });

describe('eventOfIncident', () => {
  it.each([
    ['firing', 'trigger'],
    ['resolved', 'resolve'],
  ] as const)('a %s service incident is a %s with dedup_key = incident id, listing its metrics', (status, action) => {
    const e = eventOfIncident(incident({ status, change: status === 'resolved' ? 'resolved' : 'updated', revision: 2 }), KEY);
    expect(e?.event_action).toBe(action);
    expect(e?.dedup_key).toBe('mw-0123456789abcdef');
    expect(e?.payload).toMatchObject({ source: 'eu-1:shop/checkout', component: 'checkout', group: 'shop', class: 'incident/service' });
    const d = e?.payload.custom_details as IncidentDetails;
    expect(d.metrics.map((m) => [m.metric, m.observed, m.expected, m.score])).toStrictEqual([
      ['error_ratio', 9, { value: 1, lower: 0.5, upper: 1.5 }, 0.9],
      ['latency_p99_ms', 9, { value: 1, lower: 0.5, upper: 1.5 }, 0.9],
    ]);
    expect(d).toMatchObject({ incident_id: 'mw-0123456789abcdef', revision: 2, cluster: 'eu-1' });
  });

  it("a storm's member sends nothing: the storm pages for it", () => {
    expect(eventOfIncident(incident({ storm: 'mw-fedcba9876543210' }), KEY)).toBeNull();
  });

  it('a storm is one event about the mesh, listing its services', () => {
    const e = eventOfIncident(
      incident({
        scope: 'storm',
        service: null,
        metrics: [],
        services: [{ service: { namespace: 'shop', name: 'a' }, incidentId: 'mw-1111111111111111', since: T }],
        servicesSeen: 2,
      }),
      KEY,
    );
    expect(e?.payload).toMatchObject({ source: 'mesh', component: 'mesh', group: 'mesh', class: 'incident/storm' });
    expect((e?.payload.custom_details as IncidentDetails).services).toHaveLength(1);
  });
});
