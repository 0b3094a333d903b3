/**
 * Service admission and the `cardinality` alert, shared by every DetectEngine of one process.
 *
 * Claims:
 *  - at most `maxServices` new services are held across the engines that share it; a service
 *    already held, or known (its state came from the store), is always served;
 *  - new services are admitted at most `newServicesPerMinute` per minute of EVENT time (a token
 *    bucket of `newServicesBurst` tokens, full at start), so a spray of random names cannot fill
 *    the cap in seconds, and the store gains at most burst + rate × minutes new services;
 *  - a refused identity is counted (by bound) and never given state, so never written;
 *  - every bound that refuses (services, peers, metrics, …) raises one `cardinality` alert about
 *    meshwatch itself: firing at the first poll after refusals begin, updated at most once per
 *    `intervalMs`, resolved once an interval of event time passes without refusals;
 *  - data a bound on time or open windows had to drop (LossBound) raises a `data_loss` alert
 *    about meshwatch itself on the same schedule.
 *
 * Time is event time (the newest window end offered): replay, backtests and a crash-replay see the
 * same clock as live data, so the same input gives the same admissions and the same alert ids.
 * Forged future timestamps could refill the bucket early; the decoders' event-time guard bounds
 * them. The bucket is counted in services, not keys: each admitted service is one store record.
 *
 * Exactly one owner emits each state change: engines report refusals here and `poll()` returns the
 * alerts that became due; whichever engine polls first (in its advance/flush) carries them.
 */
import { type Alert } from '../alert/schema.js';
import { buildAlert } from '../alert/build.js';
import { episodeId } from '../alert/id.js';
import { type ServiceId, serviceKey } from '../model.js';

/** The bounds a `cardinality` alert can name (its `metric`). */
export type Bound = 'services' | 'peers' | 'edges' | 'containers' | 'metrics';

/**
 * What a `data_loss` alert about meshwatch itself names (its `metric`): partials that came after
 * the watermark passed their window (`late_partials`), windows closed before the watermark
 * because a service had more than maxPendingWindows open (`windows_closed_early`).
 */
export type LossBound = 'late_partials' | 'windows_closed_early';

const LOSS_BOUNDS: ReadonlySet<string> = new Set<LossBound>(['late_partials', 'windows_closed_early']);

export interface AdmissionParams {
  /** New services held at once across the engines of a process. */
  maxServices: number;
  /** New services admitted per minute of event time (the bucket's refill). */
  newServicesPerMinute: number;
  /** New services admitted at once (the bucket's size). */
  newServicesBurst: number;
  /** The `cardinality` alert's interval: updates at most this often, resolves after this long calm (ms). */
  intervalMs: number;
}

/** The service every `cardinality` alert is about: meshwatch itself. */
export const MESHWATCH_SERVICE: ServiceId = { namespace: 'meshwatch', name: 'meshwatch' };

/** Example refused names kept per bound and interval, each cut to EXAMPLE_CHARS. */
const MAX_EXAMPLES = 5;
const EXAMPLE_CHARS = 80;
const MINUTE_MS = 60_000;

interface Episode {
  id: string;
  startsAt: number;
  lastEmitMs: number;
}

interface BoundState {
  limit: number;
  /** Refused since the last emission, by reason; the first of them at firstRefusalMs. */
  refused: Record<string, number>;
  examples: string[];
  lastRefusalMs: number;
  firstRefusalMs: number;
  open: Episode | undefined;
  /** The last refusal of the episode that resolved last: refusals up to it belong to that episode. */
  closedThroughMs: number;
}

export type AdmitOutcome = 'admitted' | 'cap' | 'rate';

export class ServiceAdmission {
  private heldCount = 0;
  private tokens: number;
  private refilledAtMs = -Infinity;
  private clock = -Infinity;
  private readonly bounds = new Map<Bound | LossBound, BoundState>();
  /** Refusals by bound since start (for stats and logs). */
  readonly refusedTotal: Record<Bound | LossBound, number> = {
    services: 0,
    peers: 0,
    edges: 0,
    containers: 0,
    metrics: 0,
    late_partials: 0,
    windows_closed_early: 0,
  };

  constructor(readonly params: AdmissionParams) {
    this.tokens = params.newServicesBurst;
  }

  /** Services held across engines. */
  get held(): number {
    return this.heldCount;
  }

  /** Event time as far as the engines have offered it (ms). */
  get nowMs(): number {
    return this.clock;
  }

  /** Moves the event clock on (never back). */
  observe(eventTimeMs: number): void {
    if (eventTimeMs > this.clock) this.clock = eventTimeMs;
  }

  /** A known service (state from the store, or handed over): always held. */
  holdKnown(): void {
    this.heldCount++;
  }

  /**
   * A new service: admitted while under the cap and the bucket has a token; otherwise refused
   * (counted). `atMs`: the event time of the data that asked (its window end; default now).
   */
  admitNew(key: string, atMs = this.clock): AdmitOutcome {
    this.refill();
    const outcome: AdmitOutcome = this.heldCount >= this.params.maxServices ? 'cap' : this.tokens < 1 ? 'rate' : 'admitted';
    if (outcome !== 'admitted') {
      this.refuse('services', this.params.maxServices, key, outcome, atMs);
      return outcome;
    }
    this.tokens--;
    this.heldCount++;
    return outcome;
  }

  /** Services no longer held (partition revoked, engine dropped): their capacity returns. */
  release(n: number): void {
    this.heldCount = Math.max(0, this.heldCount - n);
  }

  /**
   * Counts an identity refused by a bound (`example`: the service and what was refused), at the
   * event time of the data refused (`atMs`, default now). The alert's episodes go by that time:
   * a partition still working through a backlog refuses data of a time an episode already covered
   * and resolved; those refusals are counted but do not open a new episode.
   */
  refuse(bound: Bound | LossBound, limit: number, example: string, reason = 'cap', atMs = this.clock): void {
    let s = this.bounds.get(bound);
    if (!s) {
      s = {
        limit,
        refused: {},
        examples: [],
        lastRefusalMs: -Infinity,
        firstRefusalMs: -Infinity,
        open: undefined,
        closedThroughMs: -Infinity,
      };
      this.bounds.set(bound, s);
    }
    this.refusedTotal[bound]++;
    if (!s.open && atMs <= s.closedThroughMs) return;
    s.limit = limit;
    const at = Math.min(atMs, this.clock);
    if (Object.keys(s.refused).length === 0 || at < s.firstRefusalMs) s.firstRefusalMs = at;
    s.refused[reason] = (s.refused[reason] ?? 0) + 1;
    if (at > s.lastRefusalMs) s.lastRefusalMs = at;
    if (s.examples.length < MAX_EXAMPLES) {
      const shown = exampleOf(example);
      if (!s.examples.includes(shown)) s.examples.push(shown);
    }
  }

  /** The `cardinality` alerts due at the current event time (each state change once). */
  poll(): Alert[] {
    const out: Alert[] = [];
    if (!Number.isFinite(this.clock)) return out;
    const interval = this.params.intervalMs;
    for (const [bound, s] of this.bounds) {
      const refused = sum(s.refused);
      if (!s.open) {
        if (refused === 0) continue;
        const startsAt = Math.floor((Number.isFinite(s.firstRefusalMs) ? s.firstRefusalMs : this.clock) / interval) * interval;
        const kind = LOSS_BOUNDS.has(bound) ? 'data_loss' : 'cardinality';
        s.open = { id: episodeId(serviceKey(MESHWATCH_SERVICE), kind, bound, startsAt), startsAt, lastEmitMs: this.clock };
        out.push(this.alertOf('firing', bound, s, s.open));
        this.reset(s);
      } else if (refused > 0 && this.clock - s.open.lastEmitMs >= interval) {
        out.push(this.alertOf('firing', bound, s, s.open));
        s.open.lastEmitMs = this.clock;
        this.reset(s);
      } else if (refused === 0 && this.clock - s.lastRefusalMs >= interval) {
        out.push(this.alertOf('resolved', bound, s, s.open));
        s.open = undefined;
        s.closedThroughMs = s.lastRefusalMs;
      }
    }
    return out;
  }

  private reset(s: BoundState): void {
    s.refused = {};
    s.examples = [];
  }

  private refill(): void {
    const { newServicesPerMinute: rate, newServicesBurst: burst } = this.params;
    if (Number.isFinite(this.refilledAtMs) && this.clock > this.refilledAtMs) {
      this.tokens = Math.min(burst, this.tokens + ((this.clock - this.refilledAtMs) * rate) / MINUTE_MS);
    }
    if (Number.isFinite(this.clock) && this.clock > this.refilledAtMs) this.refilledAtMs = this.clock;
  }

  private alertOf(status: 'firing' | 'resolved', bound: Bound | LossBound, s: BoundState, e: Episode): Alert {
    const loss = LOSS_BOUNDS.has(bound);
    const refused = sum(s.refused);
    // The refusals reported span from the first since the last emission to now.
    const spanMs = Number.isFinite(s.firstRefusalMs) ? this.clock - s.firstRefusalMs : 0;
    const windowStart = Math.floor((this.clock - 1) / this.params.intervalMs) * this.params.intervalMs;
    const held = bound === 'services' ? this.heldCount : null;
    const alert = buildAlert(
      status,
      {
        id: e.id,
        kind: loss ? 'data_loss' : 'cardinality',
        metric: bound,
        startsAt: e.startsAt,
        calm: 0,
        severity: loss ? 'error' : 'warning',
        score: 0.5 + (0.5 * refused) / Math.max(1, refused + s.limit),
        observed: refused,
        expected: { value: s.limit, lower: 0, upper: s.limit },
      },
      {
        service: MESHWATCH_SERVICE,
        windowStart,
        windowMs: this.params.intervalMs,
        endsAt: this.clock,
        details: {
          bound,
          limit: s.limit,
          held,
          refused,
          refused_cap: s.refused.cap ?? 0,
          refused_rate: s.refused.rate ?? 0,
          ...(bound === 'services' && Number.isFinite(this.params.newServicesPerMinute)
            ? { new_per_minute: this.params.newServicesPerMinute }
            : {}),
          examples: s.examples.join(', '),
        },
      },
    );
    alert.summary = (
      loss
        ? lossSummaryOf(status, bound as LossBound, refused, spanMs, this.params)
        : summaryOf(status, bound as Bound, s, refused, spanMs, this.params)
    ).slice(0, 1024);
    return alert;
  }
}

const sum = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);

const count = (n: number): string => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

const duration = (ms: number): string =>
  ms >= MINUTE_MS ? `${Math.round(ms / MINUTE_MS)} min` : `${Math.max(1, Math.round(ms / 1000))} s`;

function summaryOf(
  status: 'firing' | 'resolved',
  bound: Bound,
  s: BoundState,
  refused: number,
  spanMs: number,
  p: AdmissionParams,
): string {
  if (status === 'resolved') return `meshwatch accepts new ${bound} again: none refused for ${duration(p.intervalMs)}`;
  const byRate = (s.refused.rate ?? 0) > (s.refused.cap ?? 0);
  const why =
    bound === 'services'
      ? byRate
        ? `more than ${count(p.newServicesPerMinute)} new services a minute`
        : `the cap of ${count(s.limit)} services is reached`
      : `the cap of ${count(s.limit)} ${bound} per service is reached`;
  return `meshwatch refused ${count(refused)} new ${bound} in ${duration(spanMs)}: ${why} (a spray of random names?)`;
}

function lossSummaryOf(status: 'firing' | 'resolved', bound: LossBound, n: number, spanMs: number, p: AdmissionParams): string {
  if (status === 'resolved') return `meshwatch lost no more data: nothing dropped for ${duration(p.intervalMs)}`;
  return bound === 'late_partials'
    ? `meshwatch dropped ${count(n)} partial windows in ${duration(spanMs)}: they came after their windows closed (a source far behind the others?)`
    : `meshwatch closed ${count(n)} windows early in ${duration(spanMs)}: services had more windows open than bounds.maxPendingWindows (a source far behind the others?)`;
}

/**
 * One refused name as an alert may show it: JSON-escaped (control characters, quotes) and cut
 * to a bounded length, so a hostile name cannot forge lines or bloat the alert.
 */
export function exampleOf(name: string): string {
  const quoted = JSON.stringify(name.length > EXAMPLE_CHARS ? `${name.slice(0, EXAMPLE_CHARS)}…` : name);
  return quoted.slice(1, -1);
}
