/**
 * Stage-2 engine for the services one owner (a Kafka partition, or the whole replay)
 * handles: merges partials into pending windows, closes them in event-time order when the
 * watermark passes, and keeps each service's state. Pure and synchronous: the runtime loads
 * state before offering partials (`missing`), and persists what `advance` reports dirty.
 *
 * Watermark, per source: every raw input partition (topic/partition) that stage 1 reads
 * reports how far its event time has got and whether it is caught up (`observeSource`).
 * Sources progress at their own pace (one topic's backlog is worked through before
 * another's), so the engine's watermark is the minimum over the sources that are not idle
 * — or the newest of all when every source is idle — minus `allowedLatenessMs`. Idle, as
 * in Flink's watermark idleness: caught up and not advancing for `sourceIdleMs`, or caught up
 * and silent for `sourceSilenceMs` (one silent with a backlog still holds windows open). A source behind the others holds windows open however far behind it
 * is (stage 1 aligns its inputs so that stays bounded); only an explicit `maxSourceLagMs`
 * lets one far behind stop holding them. A partial for a window that already closed (or that
 * the watermark passed) is late: counted, not merged. What a bound drops (late partials,
 * windows closed early past `maxPendingWindows`) raises a `data_loss` alert (admission.ts).
 *
 * Bounded state: new services go through a ServiceAdmission (admission.ts) that every engine of
 * a process shares — a cap on services held and a rate of new ones; a refused service gets no
 * state, so nothing of it is ever persisted. A state loaded from the store (it closed windows
 * before) is known and always held. Peers and metrics refused by their per-service bounds are
 * reported to the same admission, which turns refusals into `cardinality` alerts; `advance` and
 * `flush` carry the ones due (each once per process, whichever engine polls first).
 */
import { type Alert } from '../alert/schema.js';
import { type Incident } from '../incident/schema.js';
import { serviceKey } from '../model.js';
import { type VerdictStatus } from '../detect/deviation.js';
import { type WindowPartial, mergePartials } from '../window/partial.js';
import { type AdmissionParams, ServiceAdmission } from './admission.js';
import { type CloseParams, closeServiceWindow } from './close-service-window.js';
import { type ServiceState, emptyServiceState } from './service-state.js';
import { DueIndex } from './due.js';
import { firstApplied } from './applied.js';

export interface EngineParams extends CloseParams {
  allowedLatenessMs: number;
  /** Bound on open windows per service; past it the oldest closes early. */
  maxPendingWindows: number;
  /** Bound on services held (across the engines sharing an admission); past it new services are refused (counted). */
  maxServices: number;
  /** New services admitted per minute of event time (default: no rate limit). */
  newServicesPerMinute?: number;
  /** New services admitted at once before the rate applies (default: no limit). */
  newServicesBurst?: number;
  /** Interval of the `cardinality` alert (ms, event time; default 60 s). */
  cardinalityIntervalMs?: number;
  /**
   * A source this far behind the newest (event time) is taken as stalled and stops holding
   * windows open (ms); Infinity (the default) waits for every source that is not idle.
   */
  maxSourceLagMs: number;
  /** A source that has not reported for this long (processing time) no longer holds windows open (ms). */
  sourceSilenceMs: number;
  /** A caught-up source whose event time has not advanced for this long (processing time) is idle (ms). */
  sourceIdleMs: number;
}

export interface EngineStats {
  partials: number;
  late_dropped: number;
  windows_closed: number;
  /** New services refused by the admission (cap or rate). */
  services_refused: number;
  /** New peers refused past maxPeersPerService. */
  peers_refused: number;
  /** New metrics refused past maxMetricsPerService. */
  metrics_refused: number;
  /** Windows closed before the watermark because a service had more than maxPendingWindows open. */
  windows_closed_early: number;
  /** Partials whose input range (source partition, offsets) this window had applied already: re-sent by stage 1. */
  duplicates_dropped: number;
  /** Everything refused by a bound: metrics, peers, and what stage 1 dropped from partials. */
  overflow: number;
  alerts: number;
  verdicts: Partial<Record<VerdictStatus, number>>;
}

export interface AdvanceResult {
  alerts: Alert[];
  /** Service incidents changed by the windows closed (in close order). */
  incidents: Incident[];
  /** Each window closed: (service key, window start), in close order (the storm guard's denominator). */
  closed: [string, number][];
  /** The service's state right after each of those windows closed, parallel to `closed` (the page's recent windows). */
  states: ServiceState[];
  /** States changed by this call (to persist). */
  dirty: ServiceState[];
}

interface SourceProgress {
  eventTimeMs: number;
  caughtUp: boolean;
  /** Processing times of the last report and of the last advance of event time. */
  reportedAtMs: number;
  advancedAtMs: number;
}

interface Held {
  /** Order of arrival: windows close service by service in this order. */
  readonly seq: number;
  readonly key: string;
  state: ServiceState;
  pending: Map<number, WindowPartial>;
  /** Per open window: the highest input offset applied per source partition (bounded by the sources). */
  applied: Map<number, Map<string, number>>;
}

export class DetectEngine {
  private readonly services = new Map<string, Held>();
  private readonly sources = new Map<string, SourceProgress>();
  private watermark = -Infinity;
  private readonly due = new DueIndex<Held>();
  private seq = 0;
  readonly stats: EngineStats = {
    partials: 0,
    late_dropped: 0,
    windows_closed: 0,
    services_refused: 0,
    peers_refused: 0,
    metrics_refused: 0,
    windows_closed_early: 0,
    duplicates_dropped: 0,
    overflow: 0,
    alerts: 0,
    verdicts: {},
  };

  readonly admission: ServiceAdmission;

  /** `admission`: the one shared by every engine of the process (a private one when omitted). */
  constructor(
    private readonly params: EngineParams,
    admission?: ServiceAdmission,
  ) {
    this.admission = admission ?? new ServiceAdmission(admissionParamsOf(params));
  }

  /** Service keys among these partials whose state is not held yet (load them first). */
  missing(partials: Iterable<WindowPartial>): string[] {
    const out = new Set<string>();
    for (const p of partials) {
      const k = serviceKey(p.service);
      if (!this.services.has(k)) out.add(k);
    }
    return [...out];
  }

  /**
   * Takes a state loaded from the store. A fresh state (the store knew nothing: no window closed)
   * is not held: the service is new, and `offer` admits it or not.
   */
  adopt(state: ServiceState): void {
    const k = serviceKey(state.service);
    if (this.services.has(k) || (state.windows === 0 && state.lastWindowStart < 0)) return;
    this.admission.holdKnown();
    this.services.set(k, { seq: this.seq++, key: k, state, pending: new Map(), applied: new Map() });
  }

  get size(): number {
    return this.services.size;
  }

  get currentWatermark(): number {
    return this.watermark;
  }

  /**
   * Merges one partial into its pending window; one whose input range the window applied
   * already (stage 1 re-sent it after a crash) is a `duplicate`, not merged.
   */
  offer(p: WindowPartial): 'accepted' | 'late' | 'refused' | 'duplicate' {
    this.stats.partials++;
    const k = serviceKey(p.service);
    const end = p.windowStart + p.windowMs;
    this.admission.observe(end);
    let held = this.services.get(k);
    const closed = held !== undefined && p.windowStart <= held.state.lastWindowStart;
    if (closed || end <= this.watermark) {
      this.stats.late_dropped++;
      // A partial for a window this service already closed may be a re-delivery (stage 1
      // restarted after sending it): counted, not alerted. One the watermark passed before the
      // service's window ever closed is data lost for good.
      if (!closed) this.admission.refuse('late_partials', this.params.allowedLatenessMs, `${k} ${isoOf(p.windowStart)}`, 'late', end);
      return 'late';
    }
    if (!held) {
      if (this.admission.admitNew(k, end) !== 'admitted') {
        this.stats.services_refused++;
        return 'refused';
      }
      held = { seq: this.seq++, key: k, state: emptyServiceState(p.service), pending: new Map(), applied: new Map() };
      this.services.set(k, held);
    }
    if (p.input && !firstApplied(held.applied, p.windowStart, p.input)) {
      this.stats.duplicates_dropped++;
      return 'duplicate';
    }
    const open = held.pending.get(p.windowStart);
    held.pending.set(p.windowStart, open ? mergePartials(open, p) : p);
    if (!open) this.due.add(held, end);
    if (held.pending.size > this.params.maxPendingWindows) this.due.markCrowded(held);
    return 'accepted';
  }

  /**
   * Records how far one raw source's event time has got (stage 1's reports), at processing
   * time `nowMs`. `null`: the source is assigned but has reported no data yet.
   */
  observeSource(source: string, eventTimeMs: number | null, caughtUp: boolean, nowMs = 0): void {
    const cur = this.sources.get(source);
    const before = cur?.eventTimeMs ?? -Infinity;
    const t = Math.max(eventTimeMs ?? -Infinity, before);
    const advancedAtMs = t > before ? nowMs : (cur?.advancedAtMs ?? -Infinity);
    this.sources.set(source, { eventTimeMs: t, caughtUp, reportedAtMs: nowMs, advancedAtMs });
  }

  /** Registers a source known to exist (from topic metadata) unless it has reported already. */
  expectSource(source: string, nowMs = 0): void {
    if (!this.sources.has(source)) {
      this.sources.set(source, { eventTimeMs: -Infinity, caughtUp: false, reportedAtMs: nowMs, advancedAtMs: -Infinity });
    }
  }

  /**
   * A source holds windows open unless it is idle — caught up and not advanced for
   * `sourceIdleMs` (immediately when no processing time is given), or caught up and silent for
   * `sourceSilenceMs` — or stalled more than `maxSourceLagMs` behind the newest. A source that
   * had a backlog at its last report holds them through any silence: its ingest instance is
   * gone, and whoever reads its partition next (the restarted instance, or another after the
   * group moved it) sends the data of those windows; closing them would lose it.
   */
  private sourceLow(nowMs: number | undefined): number {
    if (this.sources.size === 0) return -Infinity;
    const holding = this.holdingSources(nowMs);
    return holding.length ? Math.min(...holding.map((s) => s.eventTimeMs)) : this.newestSource();
  }

  private newestSource(): number {
    return Math.max(-Infinity, ...[...this.sources.values()].map((s) => s.eventTimeMs));
  }

  private holdingSources(nowMs: number | undefined): SourceProgress[] {
    const newest = this.newestSource();
    const idle = (s: SourceProgress): boolean =>
      nowMs === undefined
        ? s.caughtUp
        : s.caughtUp && (nowMs - s.advancedAtMs > this.params.sourceIdleMs || nowMs - s.reportedAtMs > this.params.sourceSilenceMs);
    return [...this.sources.values()].filter(
      (s) => !idle(s) && !(Number.isFinite(s.eventTimeMs) && newest - s.eventTimeMs > this.params.maxSourceLagMs),
    );
  }

  /**
   * Whether the input has gone quiet at processing time `nowMs`: no source holds windows open
   * (each is idle, silent or stalled). Only then may the last windows, which the watermark
   * keeps open for `allowedLatenessMs`, be closed without waiting for more data (`flush`);
   * a source still working through a backlog says it is not caught up, and a slow one keeps
   * reporting, so neither loses its windows to a timer.
   */
  inputQuiet(nowMs: number): boolean {
    return this.holdingSources(nowMs).length === 0;
  }

  /**
   * Closes every pending window that ends at or before the watermark. `nowMs` (processing time) lets
   * sources that went silent stop holding windows; replay omits it.
   */
  advance(nowMs?: number): AdvanceResult {
    const wm = this.sourceLow(nowMs) - this.params.allowedLatenessMs;
    if (wm > this.watermark) this.watermark = wm;
    const due = this.due.take(this.watermark).filter((h) => this.services.get(h.key) === h);
    return this.closeWhere(due, (start, p, held) => {
      if (start + p.windowMs <= this.watermark) return true;
      if (held.pending.size <= this.params.maxPendingWindows) return false;
      this.stats.windows_closed_early++;
      this.admission.refuse(
        'windows_closed_early',
        this.params.maxPendingWindows,
        `${serviceKey(held.state.service)} ${isoOf(start)}`,
        'pending',
        start + p.windowMs,
      );
      return true;
    });
  }

  /** Closes every pending window (end of a replay, an idle stream, or a revoked partition). */
  flush(): AdvanceResult {
    const newest = this.newestSource();
    if (newest > this.watermark) this.watermark = newest;
    this.due.clear();
    return this.closeWhere(this.services.values(), () => true);
  }

  /**
   * Forgets services (their partition was revoked); their pending windows should be flushed first.
   * Their capacity returns to the shared admission.
   */
  release(keys: Iterable<string>): void {
    let n = 0;
    for (const k of keys) if (this.services.delete(k)) n++;
    this.admission.release(n);
  }

  /** Forgets every service (the engine is dropped): call before dropping an engine that shares an admission. */
  releaseAll(): void {
    this.release(this.keys());
  }

  keys(): string[] {
    return [...this.services.keys()];
  }

  /** The state of a held service as of its last closed window (read-only: the state query). */
  stateOf(serviceKey: string): ServiceState | undefined {
    return this.services.get(serviceKey)?.state;
  }

  /** Closes, service by service (`helds`, in order), each pending window `shouldClose` accepts, oldest first, up to the first it refuses. */
  private closeWhere(helds: Iterable<Held>, shouldClose: (start: number, p: WindowPartial, held: Held) => boolean): AdvanceResult {
    const alerts: Alert[] = [];
    const incidents: Incident[] = [];
    const closed: [string, number][] = [];
    const states: ServiceState[] = [];
    const dirty: ServiceState[] = [];
    for (const held of helds) {
      if (held.pending.size === 0) continue;
      const starts = held.pending.size === 1 ? held.pending.keys() : [...held.pending.keys()].sort((a, b) => a - b);
      let changed = false;
      for (const start of starts) {
        const p = held.pending.get(start) as WindowPartial;
        if (!shouldClose(start, p, held)) {
          for (const [s, rest] of held.pending) this.due.add(held, s + rest.windowMs);
          break;
        }
        held.pending.delete(start);
        held.applied.delete(start);
        const out = closeServiceWindow(held.state, p, this.params);
        if (out.overflow > 0) this.countRefused(out.state, p);
        held.state = out.state;
        for (const a of out.alerts) alerts.push(a);
        if (out.incident) incidents.push(out.incident);
        closed.push([held.key, start]);
        states.push(held.state);
        this.stats.windows_closed++;
        this.stats.overflow += out.overflow + p.overflow;
        for (const s in out.verdicts) {
          const v = s as VerdictStatus;
          this.stats.verdicts[v] = (this.stats.verdicts[v] ?? 0) + (out.verdicts[v] ?? 0);
        }
        changed = true;
      }
      if (changed) dirty.push(held.state);
    }
    alerts.push(...this.admission.poll());
    this.stats.alerts += alerts.length;
    return { alerts, incidents, closed, states, dirty };
  }

  /** Names what closeServiceWindow refused (peers and metrics past their bounds) to the admission. O(edges + gauges) of one partial. */
  private countRefused(state: ServiceState, p: WindowPartial): void {
    const svc = serviceKey(state.service);
    const atMs = p.windowStart + p.windowMs;
    for (const key of Object.keys(p.edges)) {
      if (state.peers[key]) continue;
      this.stats.peers_refused++;
      this.admission.refuse('peers', this.params.maxPeersPerService, `${svc} ${key}`, 'cap', atMs);
    }
    if (Object.keys(state.baselines).length < this.params.maxMetricsPerService) return;
    for (const metric of Object.keys(p.gauges)) {
      if (state.baselines[metric]) continue;
      this.stats.metrics_refused++;
      this.admission.refuse('metrics', this.params.maxMetricsPerService, `${svc} ${metric}`, 'cap', atMs);
    }
  }

  /** Whether a (service, window) is still open: its partials must not be committed past. */
  isPending(serviceKey: string, windowStart: number): boolean {
    return this.services.get(serviceKey)?.pending.has(windowStart) ?? false;
  }
}

const isoOf = (ms: number): string => (Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms));

/** The admission an engine's parameters describe (LocalPipeline and the runtime share one per process). */
export const admissionParamsOf = (p: EngineParams): AdmissionParams => ({
  maxServices: p.maxServices,
  newServicesPerMinute: p.newServicesPerMinute ?? Infinity,
  newServicesBurst: p.newServicesBurst ?? Infinity,
  intervalMs: p.cardinalityIntervalMs ?? 60_000,
});
