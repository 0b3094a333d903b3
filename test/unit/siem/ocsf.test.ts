/**
 * OCSF Detection Finding (class 2004) validated against the published definition vendored in
 * test/fixtures/ocsf/detection_finding.json: required attributes of the class and of every
 * object meshwatch emits, the enums with their captions, the type_uid rule, timestamps in ms.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it, test } from 'vitest';
import { type Alert, AlertSchema } from '../../../src/core/alert/schema.js';
import { type OcsfDetectionFinding, activityOf, ocsfFindingOf, ocsfFindingOfIncident } from '../../../src/core/siem/index.js';
import { IncidentSchema } from '../../../src/core/incident/schema.js';
import { HOSTILE, hostileAlert, newPeerAlert, resolvedOf, sampleAlert, sampleIncident, stormIncident } from './alerts.js';

interface ObjSpec {
  required?: string[];
  at_least_one?: string[];
  types?: Record<string, string>;
  enums?: Record<string, Record<string, string>>;
}
const spec = JSON.parse(readFileSync(new URL('../../fixtures/ocsf/detection_finding.json', import.meta.url), 'utf8')) as {
  class: ObjSpec & { class_uid: number; category_uid: number; captions: Record<string, string> };
  objects: Record<string, ObjSpec>;
};

const present = (v: unknown): boolean => v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0);

function typeOk(t: string, v: unknown): boolean {
  switch (t) {
    case 'integer_t':
    case 'long_t':
      return Number.isInteger(v);
    case 'timestamp_t':
      // milliseconds since the epoch: an integer after 2001-09-09 (1e12 ms), not seconds
      return Number.isInteger(v) && (v as number) > 1e12;
    case 'string_t':
      return typeof v === 'string';
    case 'boolean_t':
      return typeof v === 'boolean';
    case 'url_t':
      return typeof v === 'string' && URL.canParse(v);
    default:
      throw new Error(`unknown OCSF type ${t}`);
  }
}

/** Every violation of one object against its spec, with its path. */
function check(path: string, obj: Record<string, unknown>, s: ObjSpec | undefined): string[] {
  if (!s) return [`${path}: no spec`];
  const out: string[] = [];
  for (const r of s.required ?? []) if (!present(obj[r])) out.push(`${path}.${r}: required`);
  if (s.at_least_one && !s.at_least_one.some((k) => present(obj[k]))) out.push(`${path}: one of ${s.at_least_one.join(', ')}`);
  for (const [k, t] of Object.entries(s.types ?? {})) if (obj[k] !== undefined && !typeOk(t, obj[k])) out.push(`${path}.${k}: not ${t}`);
  for (const [k, e] of Object.entries(s.enums ?? {})) {
    const v = JSON.stringify(obj[k]);
    if (obj[k] !== undefined && !(v in e)) out.push(`${path}.${k}: ${v} not in enum`);
  }
  return out;
}

function validate(f: OcsfDetectionFinding): string[] {
  const o = spec.objects;
  const rec = f as unknown as Record<string, unknown>;
  const out = check('finding', rec, spec.class);
  for (const [id, caption] of Object.entries(spec.class.captions)) {
    const want = spec.class.enums?.[id]?.[String(rec[id])];
    if (rec[caption] !== want) out.push(`finding.${caption}: ${String(rec[caption])} is not the caption of ${id} (${want})`);
  }
  if (f.class_uid !== spec.class.class_uid) out.push('class_uid');
  if (f.category_uid !== spec.class.category_uid) out.push('category_uid');
  if (f.type_uid !== f.class_uid * 100 + f.activity_id) out.push('type_uid != class_uid*100 + activity_id');
  out.push(...check('metadata', f.metadata, o.metadata), ...check('metadata.product', f.metadata.product, o.product));
  out.push(
    ...check('finding_info', f.finding_info, o.finding_info),
    ...check('finding_info.analytic', f.finding_info.analytic, o.analytic),
  );
  f.resources.forEach((r, i) => out.push(...check(`resources[${i}]`, r, o.resource_details)));
  f.observables.forEach((x, i) => out.push(...check(`observables[${i}]`, x, o.observable)));
  f.anomaly_analyses.forEach((a, i) => {
    const p = `anomaly_analyses[${i}]`;
    out.push(...check(p, a, o.anomaly_analysis));
    a.analysis_targets.forEach((t, j) => out.push(...check(`${p}.analysis_targets[${j}]`, t, o.analysis_target)));
    for (const [kind, list] of [
      ['anomaly', a.anomalies],
      ['baseline', a.baselines],
    ] as const) {
      list.forEach((x, j) => {
        out.push(...check(`${p}.${kind}[${j}]`, x, o[kind]));
        x.observations.forEach((ob, k) => out.push(...check(`${p}.${kind}[${j}].observations[${k}]`, { ...ob }, o.observation)));
      });
    }
  });
  return out;
}

const OPTS = { productVersion: '0.1.0' };

describe('OCSF Detection Finding 2004', () => {
  test.each<[string, Alert]>([
    ['a firing spike with links', sampleAlert()],
    ['its resolve', resolvedOf(sampleAlert())],
    ['a new peer (no band)', newPeerAlert()],
    ['a service without cluster or unit', sampleAlert({ service: { namespace: 'shop', name: 'cart' }, unit: undefined, links: undefined })],
    ...HOSTILE.map((h): [string, Alert] => [`hostile name ${JSON.stringify(h)}`, hostileAlert(h)]),
  ])('%s: every required attribute and enum of the published class', (_, a) => {
    expect(validate(ocsfFindingOf(a, OPTS))).toEqual([]);
  });

  it('maps the lifecycle: firing creates (New), resolved closes (Resolved); an update is Update', () => {
    const a = sampleAlert();
    const created = ocsfFindingOf(a, OPTS);
    const closed = ocsfFindingOf(resolvedOf(a), OPTS);
    const updated = ocsfFindingOf(a, { ...OPTS, activity: activityOf(a, true) });
    expect([created.activity_id, created.type_uid, created.status_id, created.is_alert]).toEqual([1, 200401, 1, true]);
    expect([updated.activity_id, updated.type_uid, updated.status_id]).toEqual([2, 200402, 1]);
    expect([closed.activity_id, closed.type_uid, closed.status_id, closed.is_alert]).toEqual([3, 200403, 4, false]);
    expect(new Set([created, updated, closed].map((f) => f.finding_info.uid))).toEqual(new Set([a.id]));
    expect(validate(updated)).toEqual([]);
  });

  it('carries baseline vs observed, severity, times in ms and the service as resource and observable', () => {
    const a = sampleAlert();
    const f = ocsfFindingOf(a, OPTS);
    expect(f.severity_id).toBe(5);
    expect(f.time).toBe(Date.parse(a.window.end));
    expect(f.start_time).toBe(Date.parse(a.startsAt));
    expect(f.anomaly_analyses[0]!.anomalies[0]).toMatchObject({
      observation_parameter: 'error_ratio',
      observations: [{ value: '0.0421 ratio' }],
    });
    expect(f.anomaly_analyses[0]!.baselines[0]).toMatchObject({
      observed_pattern: 'NORMAL_RANGE 0..0.0047 ratio',
      observations: [{ value: '0.0012 ratio' }],
    });
    expect(f.resources[0]).toMatchObject({ uid: 'prod-eu:shop/checkout', name: 'checkout', labels: ['namespace:shop', 'cluster:prod-eu'] });
    expect(f.observables).toEqual([{ name: 'resources[0].uid', type_id: 10, type: 'Resource UID', value: 'prod-eu:shop/checkout' }]);
    expect(f.finding_info.src_url).toBe(a.links!.dashboard);
    expect(AlertSchema.parse(JSON.parse(f.raw_data))).toEqual(a);
    const peer = ocsfFindingOf(newPeerAlert(), OPTS);
    expect(peer.observables.map((x) => x.value)).toEqual(['prod-eu:shop/checkout', 'kube-system/coredns']);
    expect(peer.anomaly_analyses[0]!.baselines).toEqual([]);
  });

  it('the validator catches what the class forbids', () => {
    const f = ocsfFindingOf(sampleAlert(), OPTS);
    const broken = {
      ...f,
      type_uid: 200400,
      severity_id: 7,
      time: Math.floor(f.time / 1000),
      finding_info: { ...f.finding_info, uid: '' },
    };
    expect(validate(broken as unknown as OcsfDetectionFinding)).toEqual([
      'finding.time: not timestamp_t',
      'finding.severity_id: 7 not in enum',
      'finding.severity: Critical is not the caption of severity_id (undefined)',
      'type_uid != class_uid*100 + activity_id',
      'finding_info.uid: required',
    ]);
  });
});

describe('OCSF Detection Finding 2004 of an incident', () => {
  it('one finding per incident: every contributing metric an anomaly analysis, an observable and a related event', () => {
    const i = sampleIncident();
    const f = ocsfFindingOfIncident(i, OPTS);
    expect(validate(f)).toEqual([]);
    expect([f.finding_info.uid, f.activity_id, f.type_uid, f.status_id]).toEqual([i.id, 2, 200402, 1]);
    expect(f.anomaly_analyses.map((a) => a.anomalies[0]!.observation_parameter)).toEqual(i.metrics.map((m) => m.metric));
    expect(f.anomaly_analyses[0]!.baselines[0]).toMatchObject({
      observed_pattern: 'NORMAL_RANGE 0.5..1.5',
      observations: [{ value: '1' }],
    });
    expect(f.observables.filter((o) => o.type_id === 99).map((o) => o.value)).toEqual(i.metrics.map((m) => m.metric));
    expect(f.finding_info.related_events.map((e) => e.uid)).toEqual(i.metrics.map((m) => m.alertId));
    expect(f.resources.map((r) => r.uid)).toEqual(['prod-eu:shop/checkout']);
    expect(IncidentSchema.parse(JSON.parse(f.raw_data))).toEqual(i);
    const opened = ocsfFindingOfIncident(sampleIncident({ change: 'opened', revision: 1 }), OPTS);
    const closed = ocsfFindingOfIncident(sampleIncident({ change: 'resolved', status: 'resolved', endsAt: i.window.end }), OPTS);
    expect([opened.activity_id, closed.activity_id, closed.status_id]).toEqual([1, 3, 4]);
    expect(validate(closed)).toEqual([]);
  });

  it('a storm lists its services as resources and observables', () => {
    const f = ocsfFindingOfIncident(stormIncident(), OPTS);
    expect(validate(f)).toEqual([]);
    expect(f.resources.map((r) => r.uid)).toEqual(['mesh/a', 'mesh/b%7Cx=1', 'mesh/c']);
    expect(f.observables.map((o) => o.name)).toEqual(['resources[0].uid', 'resources[1].uid', 'resources[2].uid']);
  });
});
