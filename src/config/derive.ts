/** Turns the validated configuration into the pure core's parameter objects. */
import { type EngineParams } from '../core/pipeline/engine.js';
import { type AggregatorOptions } from '../core/window/aggregator.js';
import { type Config } from './schema.js';

export const engineParamsOf = (c: Config): EngineParams => ({
  detection: { ...c.detection, metrics: { ...c.detection.metrics } },
  counterIdleWindows: c.bounds.counterIdleWindows,
  maxMetricsPerService: c.bounds.maxMetricsPerService,
  maxPeersPerService: c.bounds.maxPeersPerService,
  allowedLatenessMs: c.window.allowedLatenessWindows * c.window.ms,
  maxPendingWindows: c.bounds.maxPendingWindows,
  maxServices: c.bounds.maxServices,
  maxSourceLagMs: c.window.maxSourceLagWindows * c.window.ms,
  sourceSilenceMs: c.window.idleCloseMs,
  sourceIdleMs: c.window.sourceIdleMs,
});

export const aggregatorOptionsOf = (c: Config): AggregatorOptions => ({
  windowMs: c.window.ms,
  maxOpenPartials: c.bounds.maxOpenPartials,
  maxEdges: c.bounds.maxEdgesPerService,
  maxContainers: c.bounds.maxContainersPerService,
  maxMetrics: c.bounds.maxMetricsPerService,
});
