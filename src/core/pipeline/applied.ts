/**
 * Which input ranges each open window of a service has applied (engine.ts): the dedupe of
 * partials stage 1 re-sent after a crash. Pure, in memory, bounded by the open windows.
 */
import { type PartialInput } from '../window/partial.js';

/**
 * Records that a window applies `input`, unless it applied that source's range already (its
 * last offset at or before the highest applied): stage 1 reads a source partition in order,
 * so only a re-sent range ends there. A range that overlaps the applied one and goes past it
 * is applied (its new records count; the overlap cannot be split off a partial).
 */
export function firstApplied(applied: Map<number, Map<string, number>>, windowStart: number, input: PartialInput): boolean {
  let bySource = applied.get(windowStart);
  if (!bySource) {
    bySource = new Map();
    applied.set(windowStart, bySource);
  }
  const upTo = bySource.get(input.source);
  if (upTo !== undefined && input.to <= upTo) return false;
  bySource.set(input.source, input.to);
  return true;
}
