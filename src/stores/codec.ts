/**
 * ServiceState ⇄ a flat field map (one Redis hash per service). Versioned: a record whose
 * `v` is unknown is refused with MW_STORE_CODEC rather than misread; each baseline record is
 * migrated to the current version and checked against its schema on load (baseline-record.ts).
 */
import { type Baseline } from '../core/baseline/index.js';
import { type ServiceState } from '../core/pipeline/service-state.js';
import { type LearnedProfile } from '../core/profile/learn.js';
import { MeshwatchError } from '../errors.js';
import { loadBaseline } from './baseline-record.js';

const BASELINE_PREFIX = 'b:';

export function encodeState(s: ServiceState): Record<string, string> {
  const fields: Record<string, string> = {
    meta: JSON.stringify({ v: s.v, service: s.service, lastWindowStart: s.lastWindowStart, windows: s.windows }),
    counters: JSON.stringify(s.counters),
    peers: JSON.stringify(s.peers),
    episodes: JSON.stringify(s.episodes),
    cooldowns: JSON.stringify(s.cooldowns),
  };
  if (s.last) fields.last = JSON.stringify(s.last);
  if (s.since) fields.since = JSON.stringify(s.since);
  if (s.profile) fields.profile = JSON.stringify(s.profile);
  // Always written (a save removes no field): `null` once the incident resolved.
  fields.incident = JSON.stringify(s.incident ?? null);
  for (const [metric, b] of Object.entries(s.baselines)) fields[BASELINE_PREFIX + metric] = JSON.stringify(b);
  return fields;
}

export function decodeState(key: string, fields: Record<string, string>): ServiceState | undefined {
  if (!fields.meta) return undefined;
  try {
    const meta = JSON.parse(fields.meta) as Pick<ServiceState, 'v' | 'service' | 'lastWindowStart' | 'windows'>;
    if (meta.v !== 1) throw new Error(`unknown state version ${String(meta.v)}`);
    const baselines: Record<string, Baseline> = {};
    for (const [f, text] of Object.entries(fields)) {
      if (!f.startsWith(BASELINE_PREFIX)) continue;
      const loaded = loadBaseline(JSON.parse(text) as unknown);
      if (!loaded.ok) throw new Error(`baseline ${f}: ${loaded.error}`);
      baselines[f.slice(BASELINE_PREFIX.length)] = loaded.baseline;
    }
    const state: ServiceState = {
      v: 1,
      service: meta.service,
      lastWindowStart: meta.lastWindowStart,
      windows: meta.windows,
      baselines,
      counters: JSON.parse(fields.counters ?? '{}') as ServiceState['counters'],
      peers: JSON.parse(fields.peers ?? '{}') as ServiceState['peers'],
      episodes: JSON.parse(fields.episodes ?? '{}') as ServiceState['episodes'],
      cooldowns: JSON.parse(fields.cooldowns ?? '{}') as ServiceState['cooldowns'],
    };
    if (fields.last !== undefined) state.last = JSON.parse(fields.last) as Record<string, number>;
    if (fields.since !== undefined) state.since = JSON.parse(fields.since) as Record<string, number>;
    if (fields.profile !== undefined) {
      const profile = JSON.parse(fields.profile) as LearnedProfile;
      if (profile.v !== 1) throw new Error(`unknown learned profile version ${String(profile.v)}`);
      state.profile = profile;
    }
    const incident = fields.incident === undefined ? null : (JSON.parse(fields.incident) as ServiceState['incident'] | null);
    if (incident) state.incident = incident;
    return state;
  } catch (cause) {
    throw new MeshwatchError('MW_STORE_CODEC', `state of ${key} cannot be read`, { cause });
  }
}
