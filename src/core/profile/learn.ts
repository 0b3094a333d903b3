/**
 * The learned profile of one service, updated once per closed window (stage 2), O(1) per window
 * and bounded in size: what recommendations and exports read (recommend.ts, export/*).
 *
 * Per container NAME (all replicas' instances of one container aggregate together, as VPA does):
 * - CPU: each instance's mean cores over the window (its cpu_usage_ns counter's rate) is one
 *   sample of weight 0.1 at the window start, in a decaying histogram (histogram.ts, 24 h
 *   half-life). Every sample counts `windowMs / 1 min` towards the sample count that the
 *   confidence reads (VPA normalises to one sample a minute).
 * - Memory: one peak per instance per aggregation interval (24 h): the window's largest working
 *   set replaces the interval's peak in the histogram (subtract the old, add the new) when it is
 *   larger, at the interval's end time, weight 1 — VPA's ContainerState.addMemorySample.
 * - OOM: an increase of the instance's cAdvisor `oom_events` counter adds an artificial peak of
 *   max(used + 100 MiB, used × 1.2), used = the instance's peak of the interval (VPA RecordOOM
 *   with no request known); an OOM more than one interval older than the interval is dropped.
 * Traffic: requests/s, egress bytes/s (cAdvisor transmit rate, else the bytes of outbound calls)
 * and error ratio of each window, in decaying histograms, for budgets from high percentiles.
 * Peers: the observed graph, each edge with first/last seen, requests, errors and bytes.
 *
 * Bounds: `maxContainers` container names, `maxInstances` instances per name (the one seen
 * longest ago is forgotten first), `maxPeers` edges (the least recently seen is evicted); each
 * histogram holds at most ~176 buckets. Evictions and refusals are counted in `overflow`.
 * A window at or before `lastWindowStart` changes nothing (a replayed window is not counted twice).
 */
import { type ServiceId } from '../model.js';
import { type CounterName, hasAnyKey, unescapeKeyPart } from '../model.js';
import { type WindowPartial } from '../window/partial.js';
import { type CounterState } from '../window/metrics.js';
import { increaseOf, perSecond } from '../window/rates.js';
import {
  BYTES_RATE_HISTOGRAM,
  CPU_HISTOGRAM,
  type DecayingHistogram,
  MEMORY_HISTOGRAM,
  RATE_HISTOGRAM,
  RATIO_HISTOGRAM,
  VPA_MIN_SAMPLE_WEIGHT,
  emptyHistogram,
  histogramAdd,
  histogramSubtract,
} from './histogram.js';

export interface ProfileLearnParams {
  maxContainers: number;
  maxInstances: number;
  maxPeers: number;
  /** Memory aggregation interval (VPA: 24 h). */
  memoryIntervalMs: number;
  /** OOM bump (VPA: ×1.2, at least +100 MiB). */
  oomBumpRatio: number;
  oomMinBumpBytes: number;
}

export const DEFAULT_PROFILE_LEARN: Readonly<ProfileLearnParams> = Object.freeze({
  maxContainers: 16,
  maxInstances: 64,
  maxPeers: 256,
  memoryIntervalMs: 24 * 3600 * 1000,
  oomBumpRatio: 1.2,
  oomMinBumpBytes: 100 * 1024 * 1024,
});

/** One container instance's memory-interval state (VPA ContainerState). */
export interface InstanceState {
  /** End of the current memory aggregation interval (ms). */
  windowEnd: number;
  memoryPeak: number;
  oomPeak: number;
  lastMemoryTs: number;
  lastCpuTs: number;
}

export interface LearnedContainer {
  cpu: DecayingHistogram;
  memory: DecayingHistogram;
  /** Start of the first and last CPU sample (ms). */
  firstSampleMs: number;
  lastSampleMs: number;
  /** CPU samples, normalised to one a minute. */
  samples: number;
  ooms: number;
  lastOomMs?: number;
  instances: Record<string, InstanceState>;
}

export interface LearnedPeer {
  peer: ServiceId;
  direction: 'inbound' | 'outbound';
  firstSeen: number;
  lastSeen: number;
  requests: number;
  errors: number;
  bytes: number;
}

export interface LearnedProfile {
  v: 1;
  firstWindowStart: number;
  lastWindowStart: number;
  windows: number;
  containers: Record<string, LearnedContainer>;
  traffic: { requestsPerS: DecayingHistogram; egressBytesPerS: DecayingHistogram; errorRatio: DecayingHistogram };
  /** Keyed like partial edges: `out:<peer>` / `in:<peer>`. */
  peers: Record<string, LearnedPeer>;
  overflow: { containers: number; instances: number; peers: number };
}

export const emptyLearnedProfile = (): LearnedProfile => ({
  v: 1,
  firstWindowStart: -1,
  lastWindowStart: -1,
  windows: 0,
  containers: {},
  traffic: { requestsPerS: emptyHistogram(), egressBytesPerS: emptyHistogram(), errorRatio: emptyHistogram() },
  peers: {},
  overflow: { containers: 0, instances: 0, peers: 0 },
});

const SANDBOX = 'POD';
const MINUTE_MS = 60_000;

/**
 * The container name of a cAdvisor container id: the last part of `namespace/pod/container`
 * (Kubernetes), else the id itself (a standalone container). The pod sandbox (`POD`) holds no
 * resources of its own and is not a container of the profile.
 */
export function containerNameOf(id: string): string | undefined {
  const parts = id.split('/');
  const name = parts.length >= 3 ? unescapeKeyPart(parts[parts.length - 1] ?? '') : unescapeKeyPart(id);
  return name === SANDBOX || name === '' ? undefined : name;
}

function instanceIncrease(prev: CounterState, id: string, name: CounterName, p: WindowPartial) {
  const span = p.containers[id]?.counters[name];
  return span === undefined ? undefined : { inc: increaseOf(prev[id]?.points[name], span), span, known: prev[id] !== undefined };
}

/** VPA addMemorySample on one instance: keeps one peak per interval in the container's histogram. */
function addMemory(c: LearnedContainer, inst: InstanceState, usage: number, ts: number, isOom: boolean, lp: ProfileLearnParams): void {
  if (!isOom && ts < inst.lastMemoryTs) return;
  inst.lastMemoryTs = ts;
  if (inst.windowEnd === 0) inst.windowEnd = ts;
  let addNew = false;
  if (ts < inst.windowEnd) {
    const old = Math.max(inst.memoryPeak, inst.oomPeak);
    if (old !== 0 && usage > old) {
      c.memory = histogramSubtract(c.memory, MEMORY_HISTOGRAM, old, 1, inst.windowEnd);
      addNew = true;
    }
  } else {
    const shift = Math.floor((ts - inst.windowEnd) / lp.memoryIntervalMs) * lp.memoryIntervalMs + lp.memoryIntervalMs;
    inst.windowEnd += shift;
    inst.memoryPeak = 0;
    inst.oomPeak = 0;
    addNew = true;
  }
  if (!addNew) return;
  c.memory = histogramAdd(c.memory, MEMORY_HISTOGRAM, usage, 1, inst.windowEnd);
  if (isOom) inst.oomPeak = usage;
  else inst.memoryPeak = usage;
}

function instanceOf(c: LearnedContainer, id: string, lp: ProfileLearnParams, overflow: LearnedProfile['overflow']): InstanceState {
  let inst = c.instances[id];
  if (inst) return inst;
  const ids = Object.keys(c.instances);
  if (ids.length >= lp.maxInstances) {
    // Forget the instance seen longest ago (a replaced pod); its peaks stay in the histogram.
    let oldest = ids[0] as string;
    for (const k of ids) if ((c.instances[k]?.lastMemoryTs ?? 0) < (c.instances[oldest]?.lastMemoryTs ?? 0)) oldest = k;
    delete c.instances[oldest];
    overflow.instances++;
  }
  inst = { windowEnd: 0, memoryPeak: 0, oomPeak: 0, lastMemoryTs: -1, lastCpuTs: -1 };
  c.instances[id] = inst;
  return inst;
}

const cloneContainer = (c: LearnedContainer): LearnedContainer => {
  const instances: Record<string, InstanceState> = {};
  for (const [k, v] of Object.entries(c.instances)) instances[k] = { ...v };
  return { ...c, instances };
};

/**
 * Learns one closed window. `prevCounters` are the counter points BEFORE this window (the state
 * closeWindow was given), `metrics` the window's service metrics. Pure: returns a new profile.
 */
function teachesNothing(p: WindowPartial, metrics: Readonly<Record<string, number>>): boolean {
  if (hasAnyKey(p.containers) || hasAnyKey(p.edges)) return false;
  return metrics.requests_per_s === undefined && metrics.error_ratio === undefined && metrics.network_tx_bytes_per_s === undefined;
}

export function learnProfile(
  prev: LearnedProfile,
  p: WindowPartial,
  prevCounters: CounterState,
  metrics: Readonly<Record<string, number>>,
  lp: ProfileLearnParams,
): LearnedProfile {
  if (p.windowStart <= prev.lastWindowStart) return prev;
  const ts = p.windowStart;
  if (teachesNothing(p, metrics)) {
    // A window of plain samples (no containers, traffic or peers): only the window count moves.
    // Spelled out, not spread: this runs for every closed window of every plain series.
    return {
      v: 1,
      firstWindowStart: prev.firstWindowStart < 0 ? ts : prev.firstWindowStart,
      lastWindowStart: ts,
      windows: prev.windows + 1,
      containers: prev.containers,
      traffic: prev.traffic,
      peers: prev.peers,
      overflow: prev.overflow,
    };
  }
  const overflow = { ...prev.overflow };
  const containers: Record<string, LearnedContainer> = { ...prev.containers };
  const touched = new Set<string>();

  for (const [id, cp] of Object.entries(p.containers)) {
    const name = containerNameOf(id);
    if (name === undefined) continue;
    const cpuInc = instanceIncrease(prevCounters, id, 'cpu_usage_ns', p);
    const mem = cp.gauges.memory_working_set_bytes;
    if (cpuInc?.inc === undefined && mem === undefined) continue;
    let c = containers[name];
    if (!c) {
      if (Object.keys(containers).length >= lp.maxContainers) {
        overflow.containers++;
        continue;
      }
      c = {
        cpu: emptyHistogram(),
        memory: emptyHistogram(),
        firstSampleMs: -1,
        lastSampleMs: -1,
        samples: 0,
        ooms: 0,
        instances: {},
      };
    } else if (!touched.has(name)) c = cloneContainer(c);
    touched.add(name);
    containers[name] = c;
    const inst = instanceOf(c, id, lp, overflow);

    if (cpuInc?.inc !== undefined && ts > inst.lastCpuTs) {
      c.cpu = histogramAdd(c.cpu, CPU_HISTOGRAM, perSecond(cpuInc.inc) / 1e9, VPA_MIN_SAMPLE_WEIGHT, ts);
      inst.lastCpuTs = ts;
      if (c.firstSampleMs < 0) c.firstSampleMs = ts;
      c.lastSampleMs = ts;
      c.samples += p.windowMs / MINUTE_MS;
    }
    if (mem !== undefined) addMemory(c, inst, mem.max, ts, false, lp);

    const oom = instanceIncrease(prevCounters, id, 'oom_events', p);
    // cAdvisor omits oom_events while it is 0: its first appearance on a known container is an OOM too.
    const oomCount = oom === undefined ? 0 : oom.inc !== undefined ? oom.inc.delta : oom.known ? oom.span.last.v : 0;
    if (oomCount > 0 && ts >= inst.windowEnd - lp.memoryIntervalMs) {
      const used = inst.memoryPeak;
      const needed = Math.max(used + lp.oomMinBumpBytes, used * lp.oomBumpRatio);
      addMemory(c, inst, needed, ts, true, lp);
      c.ooms += 1;
      c.lastOomMs = ts;
    }
  }

  let { requestsPerS, egressBytesPerS, errorRatio } = prev.traffic;
  const rps = metrics.requests_per_s;
  if (rps !== undefined && Number.isFinite(rps)) requestsPerS = histogramAdd(requestsPerS, RATE_HISTOGRAM, rps, 1, ts);
  const er = metrics.error_ratio;
  if (er !== undefined && Number.isFinite(er) && (rps ?? 0) > 0) errorRatio = histogramAdd(errorRatio, RATIO_HISTOGRAM, er, 1, ts);
  let egress = metrics.network_tx_bytes_per_s;
  if (egress === undefined) {
    let bytes = 0;
    let any = false;
    for (const e of Object.values(p.edges)) {
      if (e.direction !== 'outbound') continue;
      bytes += e.bytes;
      any = true;
    }
    if (any) egress = bytes / (p.windowMs / 1000);
  }
  if (egress !== undefined && Number.isFinite(egress)) egressBytesPerS = histogramAdd(egressBytesPerS, BYTES_RATE_HISTOGRAM, egress, 1, ts);

  const peers: Record<string, LearnedPeer> = { ...prev.peers };
  for (const [key, e] of Object.entries(p.edges)) {
    const had = peers[key];
    if (had) {
      peers[key] = {
        ...had,
        lastSeen: Math.max(had.lastSeen, ts),
        requests: had.requests + e.requests,
        errors: had.errors + e.errors,
        bytes: had.bytes + e.bytes,
      };
      continue;
    }
    const keys = Object.keys(peers);
    if (keys.length >= lp.maxPeers) {
      let lru = keys[0] as string;
      for (const k of keys) if ((peers[k]?.lastSeen ?? 0) < (peers[lru]?.lastSeen ?? 0)) lru = k;
      delete peers[lru];
      overflow.peers++;
    }
    peers[key] = {
      peer: e.peer,
      direction: e.direction,
      firstSeen: ts,
      lastSeen: ts,
      requests: e.requests,
      errors: e.errors,
      bytes: e.bytes,
    };
  }

  return {
    v: 1,
    firstWindowStart: prev.firstWindowStart < 0 ? ts : prev.firstWindowStart,
    lastWindowStart: ts,
    windows: prev.windows + 1,
    containers,
    traffic: { requestsPerS, egressBytesPerS, errorRatio },
    peers,
    overflow,
  };
}
