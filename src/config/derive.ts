/** Turns the validated configuration into the pure core's parameter objects. */
import { type DecodeOptions, type DecoderHint } from '../core/decode/types.js';
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

/** The event-time guard's bounds (`ingest.eventTime`). */
export const timeGuardParamsOf = (c: Config): TimeGuardParams => ({ ...c.ingest.eventTime });
