/** `detection`: thresholds, learning, per-metric policies and per-service overrides (core/params.ts holds the defaults). */
import { z } from 'zod';
import { DEFAULT_DETECTION, DEFAULT_METRIC_POLICIES } from '../core/params.js';
import { positiveInt } from './schema-common.js';

const metricPolicy = z
  .object({
    direction: z.enum(['up', 'down', 'both']),
    absFloor: z.number().nonnegative(),
    relFloor: z.number().nonnegative(),
    drift: z.number().nonnegative().optional(),
    scale: z.enum(['linear', 'log']).optional(),
  })
  .strict()
  .refine((m) => m.scale !== 'log' || m.absFloor > 0, {
    message: "scale 'log' needs absFloor > 0 (the resolution that keeps a 0 finite on the log scale)",
    path: ['absFloor'],
  });

const d = DEFAULT_DETECTION;

export const DetectionSchema = z
  .object({
    threshold: z.number().positive().default(d.threshold),
    strongThreshold: z.number().positive().default(d.strongThreshold),
    persistWindows: positiveInt.default(d.persistWindows),
    resolveWindows: positiveInt.default(d.resolveWindows),
    warmupWindows: z.number().int().nonnegative().default(d.warmupWindows),
    halfLifeWindows: z.number().positive().default(d.halfLifeWindows),
    levelShiftWindows: positiveInt.default(d.levelShiftWindows),
    slowHalfLifeWindows: z.number().positive().default(d.slowHalfLifeWindows),
    seasonality: z.enum(['auto', 'off']).default(d.seasonality),
    seasonMinDays: positiveInt.default(d.seasonMinDays),
    tailQuantile: z.number().gt(0.5).lt(1).default(d.tailQuantile),
    surpriseThreshold: z.number().nonnegative().default(d.surpriseThreshold),
    /** `service`: a lone kind of signal needs persistence, a habitual jumper corroboration; `off`: each metric alone. */
    corroboration: z.enum(['service', 'off']).default(d.corroboration),
    cooldownWindows: z.number().int().nonnegative().default(d.cooldownWindows),
    staleAfterWindows: positiveInt.default(d.staleAfterWindows),
    /** Per-metric policies; the ones given replace those metrics' defaults, the rest keep theirs. */
    metrics: z
      .record(z.string(), metricPolicy)
      .default({})
      .transform((m) => ({ ...structuredClone(DEFAULT_METRIC_POLICIES), ...m })),
    defaultPolicy: metricPolicy.default(() => ({ ...d.defaultPolicy })),
    /** Per-service sensitivity: service key (`[cluster:]namespace/name`, see serviceKey) → overrides. */
    services: z
      .record(
        z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'a service key, [cluster:]namespace/name'),
        z
          .object({
            threshold: z.number().positive().optional(),
            strongThreshold: z.number().positive().optional(),
            persistWindows: positiveInt.optional(),
            resolveWindows: positiveInt.optional(),
            surpriseThreshold: z.number().nonnegative().optional(),
            metrics: z.record(z.string(), metricPolicy).optional(),
          })
          .strict(),
      )
      .default({}),
  })
  .strict()
  .refine((x) => x.strongThreshold >= x.threshold, { message: 'strongThreshold must be ≥ threshold', path: ['strongThreshold'] })
  .prefault({});
