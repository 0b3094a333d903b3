/**
 * Stage 1's pod join: one name per pod, whatever reports it.
 *
 * Input: decoded observations, each with the pod it came from when its source named one
 * (`PodOrigin`). An observation from a source that carried the pod's labels (`labelled`: a
 * sandbox container, a shipper with pod labels) names the pod for good: the Attributor remembers
 * it and returns it in `publish`, for the caller to write to the shared pod table (Redis: every
 * ingest instance sees the pods of every partition). An observation without labels (a containerd
 * app container, OTLP with only `k8s.deployment.name`, a raw line with only `pod_name`) takes the
 * name the pod table has for its pod; while the pod is unknown it is HELD, and its pod key returned
 * in `lookup` so the caller can ask the shared table.
 *
 * Claim: every observation of a pod leaves with the pod's labelled name once any source said it
 * within `holdMs` of the first unlabelled one; otherwise (no source carries the pod's labels, or
 * they came too late) with the resolver's fallback (owner workload or pod name), which is also
 * what a labelled source says of a pod without workload labels. The pod is then remembered as
 * provisional: its later observations pass at once with the same fallback, and a labelled name
 * learned later (locally or from the table, re-asked every `holdMs`) replaces it from then on.
 *
 * Bounds: at most `maxHeld` observations held (past it the oldest pod's are released under their
 * fallback, counted `evicted`); at most `maxPods` pods remembered (least recently used forgotten).
 * Time is the caller's (processing time in stage 1, event time in replay); no clock, no I/O.
 * Held observations carry their source position, so the caller commits no offset past the oldest
 * one held (`floor`) and a restart re-reads them.
 */
import { type Observation, type PodOrigin, type ServiceId } from '../model.js';

export interface AttributionParams {
  /** Longest an observation of a pod not yet named waits for the pod's labelled name (ms). */
  holdMs: number;
  /** Most observations held at once. */
  maxHeld: number;
  /** Most pods remembered. */
  maxPods: number;
  /** A labelled pod seen again is published again after this long (keeps the shared table's expiry fresh). */
  republishMs: number;
}

export const DEFAULT_ATTRIBUTION: Readonly<AttributionParams> = { holdMs: 90_000, maxHeld: 20_000, maxPods: 100_000, republishMs: 600_000 };

/** One pod → workload name, as published to (and read from) the shared pod table. */
export interface PodEntry {
  key: string;
  name: string;
}

export interface Offered {
  obs: Observation;
  /** Where the record came from (`topic/partition`) and its offset, so the caller can hold commits. */
  source: string;
  offset?: bigint;
}

export interface AttributionStats {
  /** Observations held since start. */
  held: number;
  /** Observations renamed to their pod's labelled name. */
  joined: number;
  /** Observations released under their fallback name after `holdMs`. */
  expired: number;
  /** Observations released early under their fallback name because `maxHeld` was reached. */
  evicted: number;
  /** Pods forgotten because `maxPods` was reached. */
  podsForgotten: number;
}

interface Known {
  name: string;
  /** When this instance last published the name (labelled) or last asked the table (provisional). */
  at: number;
  /** A fallback, not a labelled name: replaced when a labelled name is learned. */
  provisional: boolean;
  /** The table's use counter when this pod last moved to the recent end (see `touch`). */
  used?: number;
}

interface Held extends Offered {
  heldAt: number;
}

const podOf = (o: Observation): PodOrigin | undefined =>
  o.kind === 'container' ? o.stats.pod : o.kind === 'request' ? o.request.pod : undefined;

function serviceOf(o: Observation): ServiceId {
  return o.kind === 'container' ? o.stats.service : o.kind === 'request' ? o.request.service : o.sample.service;
}

/** The observation under `name` (same namespace and cluster: the pod key includes both). */
function renamed(o: Observation, name: string): Observation {
  if (serviceOf(o).name === name) return o;
  if (o.kind === 'container') return { kind: 'container', stats: { ...o.stats, service: { ...o.stats.service, name } } };
  if (o.kind === 'request') return { kind: 'request', request: { ...o.request, service: { ...o.request.service, name } } };
  return o;
}

export class Attributor {
  private readonly pods = new Map<string, Known>();
  /** Held observations by pod, pods in the order they were first held. */
  private readonly held = new Map<string, Held[]>();
  private heldCount = 0;
  /** Counts moves to the recent end of `pods` (LRU order). */
  private uses = 0;
  readonly stats: AttributionStats = { held: 0, joined: 0, expired: 0, evicted: 0, podsForgotten: 0 };

  constructor(private readonly p: Readonly<AttributionParams>) {}

  /** Observations held now. */
  get holding(): number {
    return this.heldCount;
  }

  /**
   * One batch: learns from its labelled observations first (so an app container's record before
   * its sandbox's in the same batch is named at once), then names or holds the rest.
   * `ready` are the observations to aggregate now (including earlier held ones this batch named).
   */
  offer(items: readonly Offered[], nowMs: number): { ready: Observation[]; publish: PodEntry[]; lookup: string[] } {
    const ready: Observation[] = [];
    const publish: PodEntry[] = [];
    const lookup: string[] = [];
    for (const { obs } of items) {
      const pod = podOf(obs);
      if (pod?.labelled) this.learn(pod.key, serviceOf(obs).name, nowMs, publish);
    }
    for (const item of items) {
      const pod = podOf(item.obs);
      if (pod === undefined || pod.labelled) {
        ready.push(item.obs);
        continue;
      }
      const known = this.touch(pod.key);
      if (known !== undefined) {
        ready.push(this.name(item.obs, known.name));
        if (known.provisional && nowMs - known.at >= this.p.holdMs) {
          known.at = nowMs;
          lookup.push(pod.key);
        }
        continue;
      }
      let list = this.held.get(pod.key);
      if (list === undefined) {
        list = [];
        this.held.set(pod.key, list);
        lookup.push(pod.key);
      }
      list.push({ ...item, heldAt: nowMs });
      this.heldCount++;
      this.stats.held++;
    }
    for (const entry of publish) this.releaseTo(entry.key, entry.name, ready);
    this.evict(ready, nowMs);
    return { ready, publish, lookup };
  }

  /** What the shared table answered for looked-up pods: remembers them and releases their held observations. */
  known(entries: readonly PodEntry[], nowMs: number): Observation[] {
    const ready: Observation[] = [];
    for (const { key, name } of entries) {
      const k = this.pods.get(key);
      if (k !== undefined && !k.provisional) continue;
      this.remember(key, { name, at: nowMs, provisional: false });
      this.releaseTo(key, name, ready);
    }
    return ready;
  }

  /** Pods with observations held (to ask the shared table again). */
  waiting(): string[] {
    return [...this.held.keys()];
  }

  /** Releases what was held for `holdMs` (or everything, `all`: end of input) under its fallback name. */
  expire(nowMs: number, all = false): Observation[] {
    const ready: Observation[] = [];
    for (const [key, list] of this.held) {
      const first = list[0];
      if (!all && first !== undefined && nowMs - first.heldAt < this.p.holdMs) continue;
      this.stats.expired += list.length;
      this.releaseFallback(key, list, ready, nowMs);
    }
    return ready;
  }

  /** The oldest held position of a source (commit no further) and the oldest held event time (hold the watermark). */
  floor(source: string, eventTimeOf: (o: Observation) => number): { offset?: bigint; ts: number } | undefined {
    let offset: bigint | undefined;
    let ts = Infinity;
    for (const list of this.held.values()) {
      for (const h of list) {
        if (h.source !== source) continue;
        if (h.offset !== undefined && (offset === undefined || h.offset < offset)) offset = h.offset;
        ts = Math.min(ts, eventTimeOf(h.obs));
      }
    }
    return Number.isFinite(ts) ? { ...(offset === undefined ? {} : { offset }), ts } : undefined;
  }

  /** Forgets held observations of sources this instance no longer reads (their partition moved; the new owner re-reads them). */
  dropSources(keep: ReadonlySet<string>): number {
    let dropped = 0;
    for (const [key, list] of this.held) {
      const kept = list.filter((h) => keep.has(h.source));
      dropped += list.length - kept.length;
      if (kept.length === 0) this.held.delete(key);
      else this.held.set(key, kept);
    }
    this.heldCount -= dropped;
    return dropped;
  }

  private learn(key: string, name: string, nowMs: number, publish: PodEntry[]): void {
    const k = this.touch(key);
    if (k !== undefined && !k.provisional && k.name === name && nowMs - k.at < this.p.republishMs) return;
    this.remember(key, { name, at: nowMs, provisional: false });
    publish.push({ key, name });
  }

  private name(o: Observation, name: string): Observation {
    const r = renamed(o, name);
    if (r !== o) this.stats.joined++;
    return r;
  }

  private releaseTo(key: string, name: string, ready: Observation[]): void {
    const list = this.held.get(key);
    if (list === undefined) return;
    this.held.delete(key);
    this.heldCount -= list.length;
    for (const h of list) ready.push(this.name(h.obs, name));
  }

  private releaseFallback(key: string, list: readonly Held[], ready: Observation[], nowMs: number): void {
    this.held.delete(key);
    this.heldCount -= list.length;
    for (const h of list) ready.push(h.obs);
    const first = list[0];
    if (first !== undefined && !this.pods.has(key)) this.remember(key, { name: serviceOf(first.obs).name, at: nowMs, provisional: true });
  }

  private evict(ready: Observation[], nowMs: number): void {
    for (const [key, list] of this.held) {
      if (this.heldCount <= this.p.maxHeld) return;
      this.stats.evicted += list.length;
      this.releaseFallback(key, list, ready, nowMs);
    }
  }

  /**
   * Reads a remembered pod and marks it recently used. A pod moved to the recent end within the
   * last maxPods/2 moves is still in the newer half of the order, so at least maxPods/2 other
   * pods are forgotten before it: it is not moved again (most records of a busy pod cost a lookup,
   * not a delete and insert).
   */
  private touch(key: string): Known | undefined {
    const k = this.pods.get(key);
    if (k !== undefined && this.uses - (k.used ?? -Infinity) > this.p.maxPods / 2) {
      this.pods.delete(key);
      this.pods.set(key, k);
      k.used = ++this.uses;
    }
    return k;
  }

  private remember(key: string, k: Known): void {
    k.used = ++this.uses;
    this.pods.delete(key);
    this.pods.set(key, k);
    while (this.pods.size > this.p.maxPods) {
      const oldest = this.pods.keys().next().value;
      if (oldest === undefined) break;
      this.pods.delete(oldest);
      this.stats.podsForgotten++;
    }
  }
}
