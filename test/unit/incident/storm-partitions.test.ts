/**
 * The storm guard over several partitions (core/incident/storm.ts, the memory ledger): each
 * partition reports window t in its own step. The hold keeps the first partitions' incidents
 * until the last one tips the storm, then releases them as its members; a partition that closes
 * the window after the others resolved theirs (catching up) still tips it.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStormLedger, withStorms } from '../../../src/core/incident/ledger.js';
import { INCIDENT_SCHEMA_ID, type Incident } from '../../../src/core/incident/schema.js';

const W = 10_000;
const T = Date.UTC(2026, 11, 1, 12);
const iso = (x: number): string => new Date(x).toISOString();
const incident = (s: number, t: number, status: Incident['status'] = 'firing'): Incident => ({
  schema: INCIDENT_SCHEMA_ID,
  id: `mw-${s.toString(16).padStart(16, '0')}`,
  revision: status === 'firing' ? 1 : 2,
  scope: 'service',
  status,
  change: status === 'firing' ? 'opened' : 'resolved',
  severity: 'critical',
  service: { namespace: 'mesh', name: `svc-${s}` },
  summary: 'x',
  startsAt: iso(T + 3 * W),
  endsAt: status === 'firing' ? null : iso(t + W),
  window: { start: iso(t), end: iso(t + W) },
  metrics: [],
  metricsOmitted: 0,
  storm: null,
  services: [],
  servicesOmitted: 0,
  servicesSeen: 0,
});
/** 50 services over 3 partitions; 30 of them (s < 30) break in window 3. */
const PARTS = [0, 1, 2].map((p) => [...Array(50).keys()].filter((s) => s % 3 === p));
const closedBy = (p: number[], w: number): [string, number][] => p.map((s) => [`mesh/svc-${s}`, T + w * W]);

function quiet(l: MemoryStormLedger): void {
  for (let w = 0; w < 3; w++) for (const p of PARTS) l.step(closedBy(p, w), [], 0);
}

describe('storm guard over partitions', () => {
  it('holds the first partitions’ incidents until the last one tips the storm: every member is published in it', () => {
    const l = new MemoryStormLedger({ enabled: true, share: 0.5, minServices: 10, windowMs: 30_000, holdMs: 60_000 });
    quiet(l);
    const published: Incident[] = [];
    for (const p of PARTS) {
      const batch = p.filter((s) => s < 30).map((s) => incident(s, T + 3 * W));
      published.push(...withStorms(batch, l.step(closedBy(p, 3), batch, 1000)));
    }
    const storms = published.filter((i) => i.scope === 'storm');
    expect(storms.map((s) => [s.change, s.services.length, s.servicesSeen])).toEqual([['opened', 30, 50]]);
    const members = published.filter((i) => i.scope === 'service');
    expect(members).toHaveLength(30);
    expect(members.every((i) => i.storm === storms[0]!.id)).toBe(true);
  });

  it('the hold ends after holdMs when no storm comes: the incidents are then published alone', () => {
    const l = new MemoryStormLedger({ enabled: true, share: 0.5, minServices: 10, windowMs: 30_000, holdMs: 5000 });
    quiet(l);
    const few = PARTS[0]!.filter((s) => s < 6).map((s) => incident(s, T + 3 * W));
    const r = l.step(closedBy(PARTS[0]!, 3), few, 1000);
    expect(withStorms(few, r)).toEqual([]);
    expect(withStorms([], l.step([], [], 3000))).toEqual([]);
    expect(withStorms([], l.step([], [], 6000)).map((i) => [i.id, i.storm])).toEqual(few.map((i) => [i.id, null]));
  });

  it('a partition closing the window after the others resolved theirs (catching up) still tips one storm listing all', () => {
    const l = new MemoryStormLedger({ enabled: true, share: 0.5, minServices: 10, windowMs: 30_000, holdMs: 0 });
    quiet(l);
    const storms: Incident[] = [];
    for (const p of PARTS) {
      const mine = p.filter((s) => s < 30);
      // One step each: windows 3..9, opening in 3 and resolving in 6.
      for (let w = 3; w < 10; w++) {
        const batch =
          w === 3 ? mine.map((s) => incident(s, T + 3 * W)) : w === 6 ? mine.map((s) => incident(s, T + 6 * W, 'resolved')) : [];
        storms.push(...l.step(closedBy(p, w), batch).storms);
      }
    }
    expect(new Set(storms.map((s) => s.id)).size).toBe(1);
    expect(storms[0]!.services).toHaveLength(30);
    expect(storms.at(-1)!.change).toBe('resolved');
  });
});
