/**
 * Stage 2 applies each input range of a (service, window, source partition) once: stage 1
 * commits its input offsets after sending a batch's partials, so a crash in between sends
 * them again, and a window still open must not count them twice.
 */
import { describe, expect, it } from 'vitest';
import { DetectEngine } from '../../../src/core/pipeline/engine.js';
import { type ServiceState } from '../../../src/core/pipeline/service-state.js';
import { detectStep } from '../../../src/core/pipeline/steps.js';
import { parseWindowsMessage } from '../../../src/core/window/partial-codec.js';
import { type PartialInput, type WindowPartial } from '../../../src/core/window/partial.js';
import { PARAMS, quiet, story } from './story.js';

const [BASE] = story(quiet(1)) as [WindowPartial];
const tagged = (input: PartialInput): WindowPartial => ({ ...structuredClone(BASE), input });
const A = (from: number, to: number): PartialInput => ({ source: 'raw.envoy/0', from, to });
const B = (from: number, to: number): PartialInput => ({ source: 'raw.stats/3', from, to });

/** Offers the partials into a fresh engine, closes everything; the outcomes and the state it would save. */
function close(partials: WindowPartial[]): { offered: string[]; state: ServiceState; duplicates: number } {
  const engine = new DetectEngine(PARAMS);
  const step = detectStep(
    engine,
    partials.map((partial) => ({ type: 'partial', partial })),
    { final: true },
  );
  return { offered: step.offered, state: step.dirty[0]!, duplicates: step.duplicates };
}

describe('partials re-sent by stage 1', () => {
  it('a partial whose range the window applied already is dropped: the window counts it once', () => {
    const once = close([tagged(A(0, 99))]);
    const twice = close([tagged(A(0, 99)), tagged(A(0, 99))]);
    expect(twice.offered).toEqual(['accepted', 'duplicate']);
    expect(twice.duplicates).toBe(1);
    expect(twice.state).toEqual(once.state);
  });

  it('without an input range (replay, released held observations) every partial merges, as before', () => {
    const once = close([structuredClone(BASE)]);
    const twice = close([structuredClone(BASE), structuredClone(BASE)]);
    expect(twice.offered).toEqual(['accepted', 'accepted']);
    expect(twice.state).not.toEqual(once.state);
  });

  it('the next range of the same source, and any range of another source, are applied', () => {
    const r = close([tagged(A(0, 99)), tagged(B(0, 99)), tagged(A(100, 180)), tagged(B(100, 150))]);
    expect(r.offered).toEqual(['accepted', 'accepted', 'accepted', 'accepted']);
  });

  it('a range ending at or before the highest applied offset of its source is a re-send, whatever its start', () => {
    const r = close([tagged(A(0, 99)), tagged(A(100, 180)), tagged(A(0, 99)), tagged(A(50, 180)), tagged(A(100, 150))]);
    expect(r.offered).toEqual(['accepted', 'accepted', 'duplicate', 'duplicate', 'duplicate']);
  });

  it('a range that goes past the applied one is applied (its new records count)', () => {
    const r = close([tagged(A(0, 99)), tagged(A(0, 140))]);
    expect(r.offered).toEqual(['accepted', 'accepted']);
  });

  it('the applied ranges belong to the open window: once it closed, a re-send is late, not held in memory', () => {
    const engine = new DetectEngine(PARAMS);
    expect(engine.offer(tagged(A(0, 99)))).toBe('accepted');
    engine.flush();
    expect(engine.offer(tagged(A(0, 99)))).toBe('late');
  });

  it('the windows topic carries the range', () => {
    const r = parseWindowsMessage(JSON.stringify(tagged(A(7, 42))));
    expect(r.ok && r.value.type === 'partial' ? r.value.partial.input : undefined).toEqual(A(7, 42));
  });
});
