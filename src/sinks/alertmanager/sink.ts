/**
 * Alertmanager API v2 as an AlertSink and an IncidentSink (`incidents`), with the resend
 * contract (integrations.md §2.1).
 *
 * - `deliver`: each alert is POSTed (`/api/v2/alerts`, a JSON array) to every configured
 *   Alertmanager (HA: all of them, never through a balancer), then remembered in the active
 *   set. Delivered when at least one Alertmanager accepted it: the others get it with the
 *   next resend, which carries every active alert. None accepting is a failure: permanent
 *   when all refused it (4xx), else retriable (5xx, 429 with its Retry-After, network).
 * - Resend (`resendNow`, every `resendIntervalMs` once `start`ed): every firing alert again,
 *   valid for 4 × the interval, and every alert resolved less than `resolvedRetentionMs`
 *   ago with its end (Alertmanager may have restarted meanwhile); older resolved ones are
 *   forgotten. A resend failure is logged and retried at the next tick.
 * - Bounds: at most `maxActive` label sets are kept. A new one past the bound is delivered
 *   once but not kept (counted: `onDropped`), so Alertmanager resolves it when its `endsAt`
 *   passes; a resend that finds more (several instances) forgets the oldest resolved, then
 *   the oldest firing ones.
 * - `deliver` and the resend never interleave (one mutex): a resend cannot send a firing
 *   alert after its resolve was sent.
 */
import { type Alert } from '../../core/alert/schema.js';
import { type Incident } from '../../core/incident/schema.js';
import { MeshwatchError } from '../../errors.js';
import { Mutex } from '../../runtime/mutex.js';
import { type AlertSink, type Delivery, type IncidentSink } from '../../runtime/ports.js';
import { endpointOf, failure, postJson } from '../http/post.js';
import { type ActiveEntry, type ActiveSet } from './active.js';
import { type MappingOptions, type PostableAlert, labelKeyOf, postableOf, refreshed } from './alerts.js';
import { postableOfIncident } from './incidents.js';

export const ALERTS_PATH = '/api/v2/alerts';
/** Alerts per resend request. */
const RESEND_CHUNK = 500;

export interface AlertmanagerSinkOptions extends MappingOptions {
  /** Base URLs (`http://am-0:9093`); the sink appends /api/v2/alerts. */
  urls: readonly string[];
  active: ActiveSet;
  timeoutMs?: number;
  resendIntervalMs?: number;
  resolvedRetentionMs?: number;
  maxActive?: number;
  now?: () => number;
  /** One line per Alertmanager that failed while another accepted, and per failed resend. */
  log?: (line: string) => void;
  /** A new label set not kept because the active set is full. */
  onDropped?: () => void;
}

export class AlertmanagerSink implements AlertSink {
  private readonly mutex = new Mutex();
  private readonly now: () => number;
  private readonly resendIntervalMs: number;
  private readonly resolvedRetentionMs: number;
  private readonly maxActive: number;
  private readonly timeoutMs: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: AlertmanagerSinkOptions) {
    if (o.urls.length === 0) throw new MeshwatchError('MW_CONFIG_INVALID', 'sinks.alertmanager.urls: at least one Alertmanager');
    this.now = o.now ?? Date.now;
    this.resendIntervalMs = o.resendIntervalMs ?? 60_000;
    this.resolvedRetentionMs = o.resolvedRetentionMs ?? 15 * 60_000;
    this.maxActive = o.maxActive ?? 10_000;
    this.timeoutMs = o.timeoutMs ?? 10_000;
  }

  /** How long a firing alert stays valid after a send: four resend intervals. */
  get validForMs(): number {
    return 4 * this.resendIntervalMs;
  }

  deliver(alerts: readonly Alert[]): Promise<Delivery> {
    return this.mutex.run(async () => {
      for (const alert of alerts) {
        const now = this.now();
        const p = postableOf(alert, now, this.validForMs, this.o);
        const d = await this.sendAndRemember(`alert ${alert.id}`, labelKeyOf(p.labels), p, alert.status === 'resolved', now);
        if (!d.ok) return d;
      }
      return { ok: true };
    });
  }

  /**
   * Incidents as an IncidentSink: one Alertmanager alert per service incident or storm
   * (./incidents.ts), kept in the active set under its identity without `severity`, so a
   * severity that changes as metrics join replaces the alert (the old label set is sent
   * resolved with it). A storm's member is not sent (the storm is), unless it was sent before
   * it joined: then it is kept up to date and resolved like any other.
   */
  readonly incidents: IncidentSink = {
    deliver: (incidents: readonly Incident[]): Promise<Delivery> =>
      this.mutex.run(async () => {
        for (const i of incidents) {
          const now = this.now();
          const p = postableOfIncident(i, now, this.validForMs, this.o);
          const key = labelKeyOf({ ...p.labels, severity: '' });
          let prev: ActiveEntry | undefined;
          try {
            prev = await this.o.active.get(key);
          } catch (e) {
            return storeFailure(e);
          }
          if (i.storm !== null && prev === undefined) continue;
          const stale =
            prev && labelKeyOf(prev.alert.labels) !== labelKeyOf(p.labels) ? [{ ...prev.alert, endsAt: new Date(now).toISOString() }] : [];
          const d = await this.sendAndRemember(`incident ${i.id}`, key, p, i.status === 'resolved', now, stale);
          if (!d.ok) return d;
        }
        return { ok: true };
      }),
    close: () => Promise.resolve(),
  };

  /** Posts `p` (and `with`) to every Alertmanager, then keeps `p` in the active set under `key`. Call under the mutex. */
  private async sendAndRemember(
    what: string,
    key: string,
    p: PostableAlert,
    resolved: boolean,
    now: number,
    also: PostableAlert[] = [],
  ): Promise<Delivery> {
    const d = await this.postAll([...also, p]);
    if (!d.ok) return { ...d, error: new MeshwatchError(d.error.code, `${what}: ${d.error.message}`, { retriable: d.error.retriable }) };
    try {
      await this.remember(key, p, resolved ? now : null);
    } catch (e) {
      return storeFailure(e);
    }
    return { ok: true };
  }

  /** Re-sends the active set once; resolves with how many alerts were sent. */
  resendNow(): Promise<number> {
    return this.mutex.run(async () => {
      const now = this.now();
      const entries = await this.o.active.all(this.maxActive * 2);
      const { keep, forget } = this.prune(entries, now);
      if (forget.length > 0) await this.o.active.remove(forget);
      const body = keep.map(([, e]) => refreshed(e.alert, e.resolvedAtMs !== null, now, this.validForMs));
      for (let i = 0; i < body.length; i += RESEND_CHUNK) {
        const d = await this.postAll(body.slice(i, i + RESEND_CHUNK));
        if (!d.ok) this.o.log?.(`sink alertmanager: resend of ${body.length} alerts failed (${d.error.code}: ${d.error.message})`);
      }
      return body.length;
    });
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.resendNow().catch((e: unknown) =>
        this.o.log?.(`sink alertmanager: resend failed (${e instanceof Error ? e.message : String(e)})`),
      );
    }, this.resendIntervalMs);
    this.timer.unref();
  }

  close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    return this.mutex.run(() => Promise.resolve());
  }

  private async remember(key: string, p: PostableAlert, resolvedAtMs: number | null): Promise<void> {
    const active = this.o.active;
    if ((await active.size()) >= this.maxActive && (await active.get(key)) === undefined) {
      this.o.onDropped?.();
      return;
    }
    await active.put(key, { alert: p, resolvedAtMs });
  }

  /** Forgets resolved alerts past their retention, then the oldest beyond maxActive (resolved first). */
  private prune(entries: Map<string, ActiveEntry>, now: number): { keep: [string, ActiveEntry][]; forget: string[] } {
    const forget: string[] = [];
    let keep: [string, ActiveEntry][] = [];
    for (const [k, e] of entries) {
      if (e.resolvedAtMs !== null && now - e.resolvedAtMs > this.resolvedRetentionMs) forget.push(k);
      else keep.push([k, e]);
    }
    if (keep.length > this.maxActive) {
      keep.sort((a, b) => rank(b[1]) - rank(a[1]));
      forget.push(...keep.slice(this.maxActive).map(([k]) => k));
      keep = keep.slice(0, this.maxActive);
    }
    return { keep, forget };
  }

  /** Posts to every Alertmanager at once; ok when one accepted. */
  private async postAll(alerts: PostableAlert[]): Promise<Delivery> {
    const body = JSON.stringify(alerts);
    const results = await Promise.all(
      this.o.urls.map((base) =>
        postJson({ url: alertsUrl(base), body, timeoutMs: this.timeoutMs, service: 'Alertmanager' }).then((d) => [base, d] as const),
      ),
    );
    const failed = results.flatMap(([base, d]) => (d.ok ? [] : [[base, d] as const]));
    if (failed.length < results.length) {
      for (const [base, d] of failed)
        if (!d.ok)
          this.o.log?.(`sink alertmanager: ${endpointOf(base)} missed ${alerts.length} alerts until the next resend (${d.error.message})`);
      return { ok: true };
    }
    const errors = failed.flatMap(([, d]) => (d.ok ? [] : [d]));
    const message = errors.map((d) => d.error.message).join('; ');
    if (errors.every((d) => !d.retriable)) return failure('MW_SINK_REJECTED', message);
    const after = Math.max(...errors.map((d) => d.retryAfterMs ?? 0));
    return failure('MW_SINK_DELIVERY', message, [], after > 0 ? after : undefined);
  }
}

/** Firing before resolved, then the newest start first: what is kept when the set is over its bound. */
const rank = (e: ActiveEntry): number => (e.resolvedAtMs === null ? 1e15 : 0) + Date.parse(e.alert.startsAt);

export const alertsUrl = (base: string): string => base.replace(/\/+$/, '') + ALERTS_PATH;

function storeFailure(e: unknown): Delivery {
  const error = e instanceof MeshwatchError ? e : new MeshwatchError('MW_STORE_UNAVAILABLE', String(e), { cause: e });
  return { ok: false, retriable: true, error };
}
