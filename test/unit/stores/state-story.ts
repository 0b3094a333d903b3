/**
 * A deterministic two-and-a-half-day story of one service for the stored-record tests: 60 s
 * windows, gauges with a daily cycle (requests_per_s), a log-scale metric (latency_p99_ms), a
 * slowly leaking working set and a few spikes, so every part of the baseline record (seasonal
 * and noise profiles, recurring peaks, burst, drift, extremes, leak) holds values.
 */
import { type ServiceId } from '../../../src/core/model.js';
import { type WindowPartial, emptyPartial, gaugeOf } from '../../../src/core/window/partial.js';

export const STATE_SVC: ServiceId = { namespace: 'shop', name: 'cart' };
export const STORY_WINDOW_MS = 60_000;
/** Monday 2026-01-05 00:00 UTC. */
export const STORY_T0 = Date.UTC(2026, 0, 5);
/** Windows in the story, and the one after which the stored fixture was taken. */
export const STORY_WINDOWS = 3600;
export const SNAPSHOT_AFTER = 2600;

const DAY_WINDOWS = 1440;

/** A deterministic pseudo-noise in [−1, 1). */
const noise = (i: number, k: number): number => ((((i + 1) * 7919 + k * 104729) % 2003) / 2003) * 2 - 1;

export function storyPartial(i: number): WindowPartial {
  const p = emptyPartial(STATE_SVC, STORY_T0 + i * STORY_WINDOW_MS, STORY_WINDOW_MS);
  const phase = (2 * Math.PI * (i % DAY_WINDOWS)) / DAY_WINDOWS;
  const spike = i % 701 === 300 || i % 997 === 500;
  const rps = 200 * (1 + 0.5 * Math.sin(phase)) * (1 + 0.03 * noise(i, 1)) * (spike ? 1.6 : 1);
  const latency = 40 * (1 + 0.1 * noise(i, 2)) * (i % 1500 >= 1200 && i % 1500 < 1203 ? 3 : 1);
  const memory = 300e6 * (1 + 0.005 * noise(i, 3)) * (i > 2400 ? 1 + (i - 2400) * 0.0002 : 1);
  p.gauges.requests_per_s = gaugeOf(rps);
  p.gauges.latency_p99_ms = gaugeOf(latency);
  p.gauges.memory_working_set_bytes = gaugeOf(memory);
  return p;
}
