/**
 * Leak: a runaway climb of the fast level over the slow one (memory leaks, filling disks), for
 * metrics whose policy sets `drift`.
 *
 * Claim: active while the fast level (baseline/level.ts) stands at least `drift` × |slow| above
 * the slow level (re-seated with the level on a level shift: `leakRef`); an episode fires after
 * `persistWindows` such windows in a row (once per climb), stays open while the climb is at
 * least half the bar and resolves after `resolveWindows` windows below that (detect/episode.ts).
 * Owns LeakSlice (baseline/record.ts).
 */
import { type Episode, severityOf } from '../alert/build.js';
import { episodeId } from '../alert/id.js';
import { type Detector } from './detector.js';
import { fromScale } from './scale.js';
import { scoreOf } from './score.js';
import { round } from './spike-drop.js';

export const leakDetector: Detector = {
  name: 'leak',
  kinds: ['leak'],
  metric(m, ctx, book) {
    const { prev: b, next, metric, policy, x } = m;
    const d = ctx.d;
    const drift = policy.drift ?? 0;
    if (!(drift > 0 && next.n >= d.warmupWindows)) return;
    const ref = fromScale(policy, next.leakRef ?? next.slow);
    const climb = fromScale(policy, next.level) - ref;
    const bar = drift * Math.abs(ref);
    const active = climb >= bar && climb > 0;
    const holding = (next.leakRun ?? 0) >= d.persistWindows;
    const leakRun = active ? (b.leakRun ?? 0) + 1 : 0;
    m.next = { ...next, leakRun };
    if (!active && book.quiet) return;
    book.step(
      `leak:${metric}`,
      climb >= bar / 2,
      active && leakRun >= d.persistWindows && !holding,
      (): Episode => {
        const score = scoreOf(climb / Math.max(bar, Number.EPSILON), 1);
        return {
          id: episodeId(ctx.svc, 'leak', metric, ctx.windowStart),
          kind: 'leak',
          metric,
          startsAt: ctx.windowStart,
          calm: 0,
          severity: severityOf('leak', metric, score),
          score,
          observed: x,
          expected: { value: ref, lower: ref - bar, upper: ref + bar },
        };
      },
      { climb_ratio: round(climb / Math.max(Math.abs(ref), Number.EPSILON)), slow_level: ref },
      x,
    );
  },
};
