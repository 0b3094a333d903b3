/**
 * The storm guard: when a large share of services fire at once (a mesh-wide event), one storm
 * incident lists them, and paging sinks page it instead of each service. Pure: the ledger's
 * state is a value the caller keeps where every detect instance sees it (memory for replay, the
 * state store for the Kafka runtime: src/stores/redis/storm.ts).
 *
 * Claim, per window start `t` (in order) of a batch of service-incident changes:
 * - Every service incident that opens is recorded as open; one that resolves is forgotten.
 * - When no storm is open and an incident opened at `t`: the open incidents that opened within
 *   the storm window (`t − windowMs`, `t`] are counted; a storm opens when there are at least
 *   `minServices` of them and at least `share` × the services that closed a window within the
 *   storm window (`seen(t)`). They are its first members.
 * - While a storm is open, every service incident that opens joins it (`updated`); it resolves
 *   when the incidents of all its members resolved.
 * - Every service incident of a member carries the storm's id (`stormOf`), opened, updated or
 *   resolved, so paging sinks fold it into the storm.
 * State is bounded by the open service incidents (at most one per service held).
 */
import { fnv1a64 } from '../alert/id.js';
import { type Incident, INCIDENT_SCHEMA_ID, MAX_STORM_SERVICES, type StormMember } from './schema.js';
import { serviceKey } from '../model.js';
import { maxSeverity } from './service.js';

export interface StormParams {
  enabled: boolean;
  /** Share of the services seen that must fire within the storm window (0 < share ≤ 1). */
  share: number;
  /** Fewest service incidents that make a storm. */
  minServices: number;
  /** Span in which the incidents must open (ms, event time). */
  windowMs: number;
  /**
   * Longest hold of a service incident opened while its window's storm decision is not known
   * yet (ms, processing time); 0: never hold (one engine sees every service: replay).
   */
  holdMs?: number;
}

/** The defaults of config `incidents.storm`. */
export const DEFAULT_STORM: StormParams = { enabled: true, share: 0.5, minServices: 10, windowMs: 30_000, holdMs: 0 };

interface OpenIncident {
  incidentId: string;
  service: NonNullable<Incident['service']>;
  sinceMs: number;
  severity: Incident['severity'];
}

export interface StormRecord {
  id: string;
  startsAt: number;
  revision: number;
  /** Listed members (at most MAX_STORM_SERVICES), in join order. */
  services: StormMember[];
  servicesOmitted: number;
  servicesSeen: number;
  /** Members whose incident is still open: service key → incident id. */
  open: Record<string, string>;
  severity: Incident['severity'];
}

/** A service incident document not published yet: its window's storm decision was not known. */
export interface HeldIncident {
  doc: Incident;
  /** When it was held (processing time, ms). */
  heldAtMs: number;
}

export interface StormLedgerState {
  /** Open service incidents by service key. */
  open: Record<string, OpenIncident>;
  storm: StormRecord | null;
  /** Held documents by service key, in order (the first one an `opened`). */
  held?: Record<string, HeldIncident[]>;
  /** The last service incident opened per service key (open or not), for the storm count; an hour kept. */
  opened?: Record<string, OpenIncident>;
}

/** How long (event time) an opened incident counts towards a storm of a later-closing partition. */
const OPENED_KEPT_MS = 3_600_000;

export const emptyStormLedger = (): StormLedgerState => ({ open: {}, storm: null });

export const stormId = (startsAtMs: number): string => `mw-${fnv1a64(`mesh\u0000storm\u0000${startsAtMs}`)}`;

export interface StormStepResult {
  state: StormLedgerState;
  /** Storm incident documents, in order (each change once; the current one again when a member's incident is re-reported). */
  storms: Incident[];
  /** Service incident id → the storm it belongs to. */
  stormOf: Map<string, string>;
  /** This batch's documents the hold took (`heldKey`): not to publish with the batch (held, or in `released`). */
  held: Set<string>;
  /** Documents held before and released by this step, in order, with their storm: to publish now. */
  released: Incident[];
}

/** The key of one document of a service incident (id and revision). */
export const heldKey = (i: Pick<Incident, 'id' | 'revision'>): string => `${i.id}|r${i.revision}`;

/**
 * Whether the storm decision of window start `t` is known: every service seen lately has closed
 * window `t`, so no partition can still tip a storm there.
 */
export type Decided = (windowStartMs: number) => boolean;

const iso = (ms: number): string => new Date(ms).toISOString();
const keyOf = (s: NonNullable<Incident['service']>): string => serviceKey(s);

function stormDoc(r: StormRecord, change: Incident['change'], atMs: number, windowMs: number): Incident {
  const n = Object.keys(r.open).length;
  const total = r.services.length + r.servicesOmitted;
  const resolved = change === 'resolved';
  const names = r.services
    .slice(0, 20)
    .map((m) => `${m.service.namespace}/${m.service.name}`)
    .join(', ');
  const summary = resolved
    ? `Mesh-wide storm over: all ${total} service(s) recovered`
    : `Mesh-wide storm: ${total} of ${r.servicesSeen} services anomalous at once (${n} still firing): ${names}${total > 20 ? ', …' : ''}`;
  return {
    schema: INCIDENT_SCHEMA_ID,
    id: r.id,
    revision: r.revision,
    scope: 'storm',
    status: resolved ? 'resolved' : 'firing',
    change,
    severity: r.severity,
    service: null,
    summary: summary.slice(0, 1024),
    startsAt: iso(r.startsAt),
    endsAt: resolved ? iso(atMs + windowMs) : null,
    window: { start: iso(atMs), end: iso(atMs + windowMs) },
    metrics: [],
    metricsOmitted: 0,
    storm: null,
    services: r.services,
    servicesOmitted: r.servicesOmitted,
    servicesSeen: r.servicesSeen,
  };
}

function join(r: StormRecord, key: string, o: OpenIncident, stillOpen = true): void {
  if (stillOpen) r.open[key] = o.incidentId;
  if (r.services.some((m) => m.incidentId === o.incidentId)) return;
  if (r.services.length < MAX_STORM_SERVICES) r.services.push({ service: o.service, incidentId: o.incidentId, since: iso(o.sinceMs) });
  else r.servicesOmitted++;
  r.severity = maxSeverity([r.severity, o.severity]);
}

/**
 * One batch of service-incident changes (`incidents`, scope service, in close order), with
 * `seen(t)`: how many services closed a window within the storm window ending at window start t.
 */
export function stormStep(
  prev: StormLedgerState,
  incidents: readonly Incident[],
  seen: (windowStartMs: number) => number,
  p: StormParams,
  hold: { decided: Decided; nowMs: number } = { decided: () => true, nowMs: 0 },
): StormStepResult {
  const state: StormLedgerState = {
    open: { ...prev.open },
    storm: prev.storm ? { ...prev.storm, services: [...prev.storm.services], open: { ...prev.storm.open } } : null,
    ...(prev.opened ? { opened: { ...prev.opened } } : {}),
    ...(prev.held ? { held: Object.fromEntries(Object.entries(prev.held).map(([k, q]) => [k, [...q]])) } : {}),
  };
  const storms: Incident[] = [];
  const stormOf = new Map<string, string>();
  const byWindow = new Map<number, Incident[]>();
  for (const i of incidents) {
    if (i.scope !== 'service' || !i.service) continue;
    const t = Date.parse(i.window.start);
    byWindow.set(t, [...(byWindow.get(t) ?? []), i]);
  }
  for (const t of [...byWindow.keys()].sort((a, b) => a - b)) {
    const batch = byWindow.get(t) ?? [];
    let joined = false;
    let touched = false;
    let opened = false;
    for (const i of batch) {
      const key = keyOf(i.service as NonNullable<Incident['service']>);
      const s = state.storm;
      if (i.status === 'resolved') {
        delete state.open[key];
        if (s && s.open[key] === i.id) {
          stormOf.set(i.id, s.id);
          delete s.open[key];
          touched = true;
        }
        continue;
      }
      const o: OpenIncident = {
        incidentId: i.id,
        service: i.service as NonNullable<Incident['service']>,
        sinceMs: Date.parse(i.startsAt),
        severity: i.severity,
      };
      const isNew = state.open[key]?.incidentId !== i.id;
      state.open[key] = o;
      if (isNew || i.change === 'opened') state.opened = { ...state.opened, [key]: o };
      if (i.change === 'opened') opened = true;
      if (!s || !p.enabled) continue;
      if (s.open[key] === i.id) {
        stormOf.set(i.id, s.id);
        touched = true;
      } else if (isNew || i.change === 'opened') {
        join(s, key, o);
        stormOf.set(i.id, s.id);
        joined = true;
      }
    }
    const s = state.storm;
    if (s) {
      if (Object.keys(s.open).length === 0) {
        s.revision++;
        storms.push(stormDoc(s, 'resolved', t, p.windowMs));
        state.storm = null;
      } else if (joined) {
        s.revision++;
        storms.push(stormDoc(s, 'updated', t, p.windowMs));
      } else if (touched && batch.some((i) => i.status === 'firing')) {
        storms.push(stormDoc(s, s.revision === 1 ? 'opened' : 'updated', t, p.windowMs));
      }
      continue;
    }
    if (!p.enabled || !opened) continue;
    // Counted by when they opened, even if one resolved since: partitions closing this window
    // later (catching up) still tip the storm with it.
    const recent = Object.entries(state.opened ?? {}).filter(([, o]) => o.sinceMs > t - p.windowMs && o.sinceMs <= t);
    const n = seen(t);
    if (recent.length < p.minServices || recent.length < p.share * n) continue;
    const r: StormRecord = {
      id: stormId(t),
      startsAt: t,
      revision: 1,
      services: [],
      servicesOmitted: 0,
      servicesSeen: n,
      open: {},
      severity: 'info',
    };
    recent.sort((a, b) => a[1].sinceMs - b[1].sinceMs || (a[0] < b[0] ? -1 : 1));
    for (const [key, o] of recent) join(r, key, o, state.open[key]?.incidentId === o.incidentId);
    for (const [, o] of recent) stormOf.set(o.incidentId, r.id);
    state.storm = r;
    storms.push(stormDoc(r, 'opened', t, p.windowMs));
  }
  if (state.opened) {
    const newest = Math.max(...Object.values(state.opened).map((o) => o.sinceMs));
    for (const [k, o] of Object.entries(state.opened)) if (o.sinceMs < newest - OPENED_KEPT_MS) delete state.opened[k];
  }
  const { held, released } = holdStep(state, incidents, stormOf, p, hold);
  return { state, storms, stormOf, held, released };
}

/**
 * The hold (`holdMs` > 0): a service incident that opens with no storm to join, in a window
 * whose storm decision is not known yet (another partition may still tip it), is held, and so
 * are its later documents; held documents are released, in order, once their storm joined
 * them (with the storm's id), once the decision is known, or after `holdMs`. Mutates `state`.
 */
function holdStep(
  state: StormLedgerState,
  incidents: readonly Incident[],
  stormOf: Map<string, string>,
  p: StormParams,
  hold: { decided: Decided; nowMs: number },
): { held: Set<string>; released: Incident[] } {
  const holdMs = p.enabled ? (p.holdMs ?? 0) : 0;
  const held = new Set<string>();
  const queues = state.held ?? {};
  const fresh = new Set<string>();
  for (const i of incidents) {
    if (i.scope !== 'service' || !i.service) continue;
    const key = keyOf(i.service);
    const q = queues[key];
    if (q?.some((h) => heldKey(h.doc) === heldKey(i))) {
      held.add(heldKey(i));
    } else if (q?.length) {
      q.push({ doc: i, heldAtMs: hold.nowMs });
      held.add(heldKey(i));
    } else if (holdMs > 0 && i.change === 'opened' && !stormOf.has(i.id) && !hold.decided(Date.parse(i.window.start))) {
      queues[key] = [{ doc: i, heldAtMs: hold.nowMs }];
      held.add(heldKey(i));
      fresh.add(key);
    }
  }
  const released: Incident[] = [];
  for (const [key, q] of Object.entries(queues)) {
    const first = q[0];
    if (!first) {
      delete queues[key];
      continue;
    }
    const storm = state.storm && state.storm.services.some((m) => m.incidentId === first.doc.id) ? state.storm.id : undefined;
    const due =
      storm !== undefined || (!fresh.has(key) && hold.decided(Date.parse(first.doc.window.start))) || hold.nowMs - first.heldAtMs >= holdMs;
    if (!due) continue;
    for (const h of q) {
      const s = stormOf.get(h.doc.id) ?? storm;
      released.push(s ? { ...h.doc, storm: s } : h.doc);
    }
    delete queues[key];
  }
  if (Object.keys(queues).length) state.held = queues;
  else delete state.held;
  return { held, released };
}
