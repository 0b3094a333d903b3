/**
 * ECS documents validated against ECS's published field types (test/fixtures/ecs/fields.csv,
 * rows of elastic/ecs generated/csv/fields.csv) and allowed values (event.kind alert, a
 * category with one of its expected types): every ECS field the document sets exists in ECS
 * with a value of its type; meshwatch's own values stay under `meshwatch.*`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it, test } from 'vitest';
import { type Alert, AlertSchema } from '../../../src/core/alert/schema.js';
import { type EcsAlert, type EcsIncident, ecsAlertOf, ecsAlertOfIncident } from '../../../src/core/siem/index.js';
import { HOSTILE, hostileAlert, newPeerAlert, resolvedOf, sampleAlert, sampleIncident, stormIncident } from './alerts.js';

/** field → {type, array} from the vendored CSV (quoted cells may hold commas). */
function readFields(): Map<string, { type: string; array: boolean }> {
  const text = readFileSync(new URL('../../fixtures/ecs/fields.csv', import.meta.url), 'utf8');
  const out = new Map<string, { type: string; array: boolean }>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.startsWith('ECS_Version') || line.trim() === '') continue;
    const cells = [...line.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)].map((m) => m[1] ?? '');
    const [, , , field, type, , normalization] = cells;
    out.set(field!, { type: type!, array: normalization === 'array' });
  }
  return out;
}
const FIELDS = readFields();
const ALLOWED = JSON.parse(readFileSync(new URL('../../fixtures/ecs/allowed-values.json', import.meta.url), 'utf8')) as {
  'event.kind': string[];
  'event.kind.reserved': string[];
  'event.category': Record<string, string[]>;
};

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function scalarOk(type: string, v: unknown): boolean {
  switch (type) {
    case 'keyword':
    case 'match_only_text':
      return typeof v === 'string';
    case 'date':
      return typeof v === 'string' && ISO.test(v) && !Number.isNaN(Date.parse(v));
    case 'long':
      return Number.isSafeInteger(v);
    case 'float':
      return typeof v === 'number' && Number.isFinite(v);
    default:
      throw new Error(`type ${type} not vendored`);
  }
}

/** Violations of ECS field types; `meshwatch.*` is meshwatch's own namespace and not ECS. */
function validate(doc: EcsAlert | EcsIncident): string[] {
  const out: string[] = [];
  const walk = (prefix: string, v: unknown): void => {
    if (prefix === 'meshwatch') return;
    const f = FIELDS.get(prefix);
    if (f?.type === 'object') {
      const ok = typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
      if (!ok) out.push(`${prefix}: not an object of keywords`);
      return;
    }
    if (f) {
      const values = Array.isArray(v) ? v : [v];
      if (Array.isArray(v) && !f.array) out.push(`${prefix}: an array where ECS has a single value`);
      for (const x of values) if (!scalarOk(f.type, x)) out.push(`${prefix}: ${JSON.stringify(x)} is not ${f.type}`);
      return;
    }
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      for (const [k, x] of Object.entries(v)) walk(prefix ? `${prefix}.${k}` : k, x);
      return;
    }
    out.push(`${prefix}: not an ECS field`);
  };
  walk('', doc);
  if (!ALLOWED['event.kind'].includes(doc.event.kind) || ALLOWED['event.kind.reserved'].includes(doc.event.kind)) out.push('event.kind');
  for (const c of doc.event.category) {
    const types = ALLOWED['event.category'][c];
    if (!types) out.push(`event.category ${c}`);
    else for (const t of doc.event.type) if (!types.includes(t)) out.push(`event.type ${t} is not expected for ${c}`);
  }
  return out;
}

const OPTS = { productVersion: '0.1.0' };

describe('ECS alert documents', () => {
  test.each<[string, Alert]>([
    ['a firing error-ratio spike with links', sampleAlert()],
    ['its resolve', resolvedOf(sampleAlert())],
    ['a new peer', newPeerAlert()],
    ['a latency spike', sampleAlert({ metric: 'latency_p99_ms', unit: 'ms', observed: 812.3 })],
    ['bytes out', sampleAlert({ metric: 'bytes_out_per_s', unit: 'bytes/s', observed: 5e6 })],
    [
      'memory, no cluster',
      sampleAlert({ metric: 'memory_working_set_bytes', unit: 'bytes', service: { namespace: 'shop', name: 'cart' } }),
    ],
    ...HOSTILE.map((h): [string, Alert] => [`hostile name ${JSON.stringify(h)}`, hostileAlert(h)]),
  ])('%s: ECS field types and allowed values', (_, a) => {
    expect(validate(ecsAlertOf(a, OPTS))).toEqual([]);
  });

  it('is an alert raised outside the Elastic Stack, never a signal, and keeps the alert whole', () => {
    const a = sampleAlert();
    const d = ecsAlertOf(a, OPTS);
    expect(d.event.kind).toBe('alert');
    expect(d).toMatchObject({
      '@timestamp': a.window.end,
      service: { name: 'checkout' },
      orchestrator: { type: 'kubernetes', namespace: 'shop', cluster: { name: 'prod-eu' } },
      event: { category: ['web'], type: ['error'], severity: 5, risk_score: 93, start: a.startsAt, url: a.links!.dashboard },
      rule: { id: 'spike/error_ratio', reference: a.links!.runbook },
      labels: { meshwatch_alert_id: a.id },
    });
    expect(AlertSchema.parse(JSON.parse(d.event.original))).toEqual(a);
    expect(ecsAlertOf(resolvedOf(a), OPTS).event.end).toBe(a.window.end);
    expect(ecsAlertOf(resolvedOf(a), OPTS).event.id).not.toBe(d.event.id);
  });

  it('the validator catches wrong types, unknown fields and unexpected categories', () => {
    const d = ecsAlertOf(sampleAlert(), OPTS);
    const broken = {
      ...d,
      event: { ...d.event, severity: 'high', start: 'yesterday', type: ['denied'] },
      service: { name: 'checkout', flavour: 'x' },
    } as unknown as EcsAlert;
    expect(validate(broken)).toEqual([
      'event.severity: "high" is not long',
      'event.start: "yesterday" is not date',
      'service.flavour: not an ECS field',
      'event.type denied is not expected for web',
    ]);
  });
});

describe('ECS incident documents', () => {
  it('a service incident and a storm: ECS field types and allowed values, the metrics under meshwatch.incident', () => {
    const i = sampleIncident();
    const d = ecsAlertOfIncident(i, OPTS);
    expect(validate(d)).toEqual([]);
    expect(d).toMatchObject({ event: { kind: 'alert', code: 'incident/service', category: ['web'], type: ['error'] } });
    expect(d.meshwatch.incident.metrics.map((m) => m.metric)).toEqual(i.metrics.map((m) => m.metric));
    const s = ecsAlertOfIncident(stormIncident(), OPTS);
    expect(validate(s)).toEqual([]);
    expect(s.meshwatch.incident.services).toEqual(['mesh/a', 'mesh/b%7Cx=1', 'mesh/c']);
  });
});
