/**
 * Recommendations from a learned profile (learn.ts), with the VPA recommender's estimators and
 * defaults (kubernetes/autoscaler vertical-pod-autoscaler/pkg/recommender/logic/{recommender,
 * estimator}.go, config/config.go):
 *
 *   target = P90 × (1 + 0.15)
 *   lower  = P50 × (1 + 0.15) × (1 + 0.001/c)^−2
 *   upper  = P95 × (1 + 0.15) × (1 + 1/c)^1
 *   c (confidence, days) = min(lifespan in days, samples / 1440)   (samples normalised to 1 a minute)
 *
 * for CPU (cores, from the CPU histogram) and memory (bytes, from the histogram of per-interval
 * peaks), each then raised to at least 25 millicores / 250 MiB divided by the number of the
 * pod's containers. With no history yet (c = 0) the upper bound is unbounded: null.
 * Traffic budgets: the `trafficPercentile` (0.99) of each traffic histogram × (1 + margin); the
 * error ratio's is not scaled and at most 1. Pure.
 */
import {
  BYTES_RATE_HISTOGRAM,
  CPU_HISTOGRAM,
  type DecayingHistogram,
  type HistogramOptions,
  MEMORY_HISTOGRAM,
  RATE_HISTOGRAM,
  RATIO_HISTOGRAM,
  histogramEmpty,
  histogramPercentile,
} from './histogram.js';
import { type LearnedContainer, type LearnedPeer, type LearnedProfile } from './learn.js';

export interface RecommendParams {
  targetPercentile: number;
  lowerPercentile: number;
  upperPercentile: number;
  safetyMarginFraction: number;
  minCpuCores: number;
  minMemoryBytes: number;
  trafficPercentile: number;
}

export const DEFAULT_RECOMMEND: Readonly<RecommendParams> = Object.freeze({
  targetPercentile: 0.9,
  lowerPercentile: 0.5,
  upperPercentile: 0.95,
  safetyMarginFraction: 0.15,
  minCpuCores: 0.025,
  minMemoryBytes: 250 * 1024 * 1024,
  trafficPercentile: 0.99,
});

export interface Estimate {
  target: number;
  lowerBound: number;
  /** null: no history yet to bound it. */
  upperBound: number | null;
}

export interface ContainerRecommendation {
  name: string;
  cpuCores: Estimate;
  memoryBytes: Estimate;
  /** VPA's confidence, in days of history. */
  confidenceDays: number;
  ooms: number;
}

export interface TrafficBudget {
  requestsPerS?: number;
  egressBytesPerS?: number;
  errorRatio?: number;
}

export interface Recommendation {
  containers: ContainerRecommendation[];
  traffic: TrafficBudget;
  peers: LearnedPeer[];
  windows: number;
  firstWindowStart: number;
  lastWindowStart: number;
}

const DAY_MS = 24 * 3600 * 1000;
const SAMPLES_PER_DAY = 60 * 24;

/** VPA getConfidence: the shorter of the history's lifespan and its sample count, in days. */
export function confidenceOf(c: Pick<LearnedContainer, 'firstSampleMs' | 'lastSampleMs' | 'samples'>): number {
  const lifespanDays = c.firstSampleMs < 0 ? 0 : (c.lastSampleMs - c.firstSampleMs) / DAY_MS;
  return Math.min(lifespanDays, c.samples / SAMPLES_PER_DAY);
}

function estimate(h: DecayingHistogram, o: HistogramOptions, confidence: number, min: number, r: RecommendParams): Estimate {
  const margin = 1 + r.safetyMarginFraction;
  const target = histogramPercentile(h, o, r.targetPercentile) * margin;
  const lower = histogramPercentile(h, o, r.lowerPercentile) * margin * (1 + 0.001 / confidence) ** -2;
  const upper = histogramPercentile(h, o, r.upperPercentile) * margin * (1 + 1 / confidence);
  return {
    target: Math.max(target, min),
    lowerBound: Math.max(Number.isFinite(lower) ? lower : 0, min),
    upperBound: Number.isFinite(upper) ? Math.max(upper, min) : null,
  };
}

function budget(h: DecayingHistogram, o: HistogramOptions, p: number, scale: number): number | undefined {
  return histogramEmpty(h, o) ? undefined : histogramPercentile(h, o, p) * scale;
}

export function recommend(profile: LearnedProfile, r: RecommendParams = DEFAULT_RECOMMEND): Recommendation {
  const names = Object.keys(profile.containers).sort();
  const fraction = names.length === 0 ? 1 : 1 / names.length;
  const containers = names.map((name): ContainerRecommendation => {
    const c = profile.containers[name] as LearnedContainer;
    const confidence = confidenceOf(c);
    return {
      name,
      cpuCores: estimate(c.cpu, CPU_HISTOGRAM, confidence, r.minCpuCores * fraction, r),
      memoryBytes: estimate(c.memory, MEMORY_HISTOGRAM, confidence, r.minMemoryBytes * fraction, r),
      confidenceDays: confidence,
      ooms: c.ooms,
    };
  });
  const margin = 1 + r.safetyMarginFraction;
  const traffic: TrafficBudget = {};
  const rps = budget(profile.traffic.requestsPerS, RATE_HISTOGRAM, r.trafficPercentile, margin);
  if (rps !== undefined) traffic.requestsPerS = rps;
  const egress = budget(profile.traffic.egressBytesPerS, BYTES_RATE_HISTOGRAM, r.trafficPercentile, margin);
  if (egress !== undefined) traffic.egressBytesPerS = egress;
  const er = budget(profile.traffic.errorRatio, RATIO_HISTOGRAM, r.trafficPercentile, 1);
  if (er !== undefined) traffic.errorRatio = Math.min(1, er);
  const peers = Object.entries(profile.peers)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, p]) => p);
  return {
    containers,
    traffic,
    peers,
    windows: profile.windows,
    firstWindowStart: profile.firstWindowStart,
    lastWindowStart: profile.lastWindowStart,
  };
}
