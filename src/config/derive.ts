/** Turns the validated configuration into the pure core's parameter objects. */
import { DEFAULT_PROFILE_LEARN } from '../core/profile/learn.js';
import { type StormParams } from '../core/incident/storm.js';
import { type AlertEnrichment, type LinkRule } from '../core/alert/links.js';
import { type SeriesState } from '../core/decode/series-state.js';
import { compileTextFormat } from '../core/decode/text-format.js';
import { type DecodeOptions, type DecoderHint } from '../core/decode/types.js';
import { type AttributionParams } from '../core/identity/attribution.js';
import { type EngineParams } from '../core/pipeline/engine.js';
import { type AggregatorOptions } from '../core/window/aggregator.js';
import { type TimeGuardParams } from '../core/window/time-guard.js';
import { type MetricPolicy, type ServiceSensitivity } from '../core/params.js';
import { type Config } from './schema.js';

function sensitivityOf(v: Config['detection']['services'][string]): ServiceSensitivity {
  const out: ServiceSensitivity = {};
  if (v.threshold !== undefined) out.threshold = v.threshold;
  if (v.strongThreshold !== undefined) out.strongThreshold = v.strongThreshold;
  if (v.persistWindows !== undefined) out.persistWindows = v.persistWindows;
  if (v.resolveWindows !== undefined) out.resolveWindows = v.resolveWindows;
  if (v.surpriseThreshold !== undefined) out.surpriseThreshold = v.surpriseThreshold;
  if (v.metrics) out.metrics = Object.fromEntries(Object.entries(v.metrics).map(([k, p]) => [k, policyOf(p)]));
  return out;
}

const policyOf = (v: Config['detection']['defaultPolicy']): MetricPolicy => ({
  direction: v.direction,
  absFloor: v.absFloor,
  relFloor: v.relFloor,
  ...(v.drift === undefined ? {} : { drift: v.drift }),
  ...(v.scale === undefined ? {} : { scale: v.scale }),
});

export const engineParamsOf = (c: Config): EngineParams => ({
  detection: {
    ...c.detection,
    metrics: Object.fromEntries(Object.entries(c.detection.metrics).map(([k, v]) => [k, policyOf(v)])),
    defaultPolicy: policyOf(c.detection.defaultPolicy),
    services: Object.fromEntries(Object.entries(c.detection.services).map(([k, v]) => [k, sensitivityOf(v)])),
  },
  counterIdleWindows: c.bounds.counterIdleWindows,
  maxMetricsPerService: c.bounds.maxMetricsPerService,
  maxPeersPerService: c.bounds.maxPeersPerService,
  allowedLatenessMs: c.window.allowedLatenessWindows * c.window.ms,
  maxPendingWindows: c.bounds.maxPendingWindows,
  maxServices: c.bounds.maxServices,
  newServicesPerMinute: c.bounds.newServicesPerMinute,
  newServicesBurst: c.bounds.newServicesBurst,
  cardinalityIntervalMs: c.bounds.cardinalityIntervalMs,
  maxSourceLagMs: c.window.maxSourceLagWindows === undefined ? Infinity : c.window.maxSourceLagWindows * c.window.ms,
  sourceSilenceMs: c.window.sourceSilenceMs,
  sourceIdleMs: c.window.sourceIdleMs,
  enforcement: {
    memoryLimitRatio: c.profiles.memoryLimitRatio,
    cpuThrottledRatio: c.profiles.cpuThrottledRatio,
    overProvisionedRatio: c.profiles.overProvisionedRatio,
    underProvisionedRatio: c.profiles.underProvisionedRatio,
    driftPeriodMs: c.profiles.driftPeriodMs,
  },
  profile: {
    ...DEFAULT_PROFILE_LEARN,
    maxContainers: c.learnedProfiles.maxContainers,
    maxInstances: c.learnedProfiles.maxInstancesPerContainer,
    maxPeers: c.learnedProfiles.maxPeers,
  },
});

export const aggregatorOptionsOf = (c: Config): AggregatorOptions => ({
  windowMs: c.window.ms,
  maxOpenPartials: c.bounds.maxOpenPartials,
  maxEdges: c.bounds.maxEdgesPerService,
  maxContainers: c.bounds.maxContainersPerService,
  maxMetrics: c.bounds.maxMetricsPerService,
});

/** Decode options for a source topic (`hint`) from the `ingest` section. */
export const decodeOptionsOf = (c: Config, hint: DecoderHint): DecodeOptions => ({
  hint,
  maxBytes: c.ingest.maxMessageBytes,
  maxJsonDepth: c.ingest.maxJsonDepth,
  maxJsonWidth: c.ingest.maxJsonWidth,
});

/** Every raw topic and its decoder: the `kafka.topics` lists, then `ingest.formats` (which wins). */
export function topicDecodersOf(c: Config): Map<string, DecoderHint> {
  const out = new Map<string, DecoderHint>();
  const t = c.kafka.topics;
  for (const topic of t.envoy) out.set(topic, 'envoy');
  for (const topic of t.cadvisor) out.set(topic, 'cadvisor');
  for (const topic of t.samples) out.set(topic, 'sample');
  for (const topic of t.als) out.set(topic, 'als');
  for (const topic of t.prometheus) out.set(topic, 'prometheus');
  for (const [topic, f] of Object.entries(c.ingest.formats)) out.set(topic, f.decoder);
  return out;
}

/** A topic's decode options: its decoder, its text formats (compiled; validated by the schema), the shared series state. */
export function topicDecodeOptionsOf(c: Config, topic: string, hint: DecoderHint, series: SeriesState | undefined): DecodeOptions {
  const opts = decodeOptionsOf(c, hint);
  const formats = c.ingest.formats[topic]?.textFormats?.flatMap((f) => {
    const r = compileTextFormat(f);
    return r.ok ? [r.value] : [];
  });
  if (formats !== undefined && formats.length > 0) opts.textFormats = formats;
  if (series !== undefined) opts.series = series;
  return opts;
}

/** The event-time guard's bounds (`ingest.eventTime`). */
export const timeGuardParamsOf = (c: Config): TimeGuardParams => ({ ...c.ingest.eventTime });

export const stormParamsOf = (c: Config): StormParams => ({ ...c.incidents.storm });
/** What every published alert carries beyond detection (`alerts`): the default cluster and link templates. */
export const alertEnrichmentOf = (c: Config): AlertEnrichment => ({
  ...(c.alerts.cluster === undefined ? {} : { cluster: c.alerts.cluster }),
  links: c.alerts.links.map((r) => {
    const rule: LinkRule = {};
    if (r.namespace !== undefined) rule.namespace = r.namespace;
    if (r.service !== undefined) rule.service = r.service;
    if (r.runbook !== undefined) rule.runbook = r.runbook;
    if (r.dashboard !== undefined) rule.dashboard = r.dashboard;
    return rule;
  }),
});

/** The cluster of an input topic (`identity.clusters`, else `identity.cluster`), undefined when none. */
export const clusterOfTopic = (c: Config, topic: string): string | undefined =>
  Object.hasOwn(c.identity.clusters, topic) ? c.identity.clusters[topic] : c.identity.cluster;

/** Stage 1's pod join (`identity`). */
export const attributionParamsOf = (c: Config): AttributionParams => ({
  holdMs: c.identity.holdMs,
  maxHeld: c.identity.maxHeld,
  maxPods: c.identity.maxPods,
  republishMs: Math.floor(c.identity.podTtlMs / 2),
});
